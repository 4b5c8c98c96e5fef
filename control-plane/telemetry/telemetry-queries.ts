import { z } from 'zod';
import { ApiError } from '../errors';
import type { Storage, TelemetryWindow, TenantRecord } from '../storage/types';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import { openBatchDetails, type BatchDetails } from './batch-details';
import { findAnomalies, summarize, testStats, type Anomaly, type TestStats } from './telemetry-analysis';

/** Rows one summary or insight reads at most; past it the answer says `truncated`. */
const ANALYSIS_ROW_LIMIT = 200_000;
const DEFAULT_WINDOW_MS = 24 * 3600 * 1000;

const ResultsCursor = z.strictObject({ ts: z.string().max(40), b: z.string().max(128), i: z.number().int().min(0) });
const FlowsCursor = z.strictObject({ r: z.string().max(40), b: z.string().max(128), o: z.number().int().min(0) });

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<S extends z.ZodType>(schema: S, cursor: string | undefined): z.output<S> | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError(400, 'invalid_request', 'The cursor is not one this route issued.', { issues: [{ path: 'cursor', message: 'unknown cursor' }] });
  }
}

export interface WindowQuery {
  from?: string | undefined;
  to?: string | undefined;
  test_id?: string | undefined;
}

export interface ResultItem {
  test_id: string;
  ts: string;
  latency_ms: number | null;
  ok: boolean;
  batch_id: string;
  target: string | null;
  status_code: number | null;
  error: string | null;
}

export type FlowItem = BatchDetails['flows'][number] & { batch_id: string; agent_id: string };

/**
 * Reading a tenant's telemetry: pages of results and flow events with their sealed details opened
 * (once per batch on the page), per-test summaries and anomaly insights. The window defaults to the
 * last 24 hours; cursors are opaque positions this class issued.
 */
export class TelemetryQueries {
  constructor(private readonly deps: { storage: Storage; crypto: TenantCrypto; clock: () => Date }) {}

  window(query: WindowQuery): TelemetryWindow {
    const to = query.to ?? this.deps.clock().toISOString();
    const from = query.from ?? new Date(Date.parse(to) - DEFAULT_WINDOW_MS).toISOString();
    if (from > to) {
      throw new ApiError(400, 'invalid_request', '`from` is after `to`.', { issues: [{ path: 'from', message: 'after to' }] });
    }
    return { from, to, testId: query.test_id };
  }

  async results(tenant: TenantRecord, query: WindowQuery & { limit: number; cursor?: string | undefined }): Promise<{ items: ResultItem[]; next_cursor: string | null }> {
    const telemetry = this.deps.storage.telemetry;
    const cursor = decodeCursor(ResultsCursor, query.cursor);
    const rows = await telemetry.results(tenant, this.window(query), query.limit + 1, cursor === undefined ? undefined : { ts: cursor.ts, batchId: cursor.b, idx: cursor.i });
    const page = rows.slice(0, query.limit);
    // Details are sealed per batch: open each batch on the page once.
    const details = new Map<string, Map<number, BatchDetails['results'][number]>>();
    for (const batchId of new Set(page.map((row) => row.batchId))) {
      const batch = await telemetry.batch(tenant, batchId);
      const opened = await openBatchDetails(this.deps.crypto, tenant.id, batchId, batch?.sealed ?? null);
      details.set(batchId, new Map(opened.results.map((entry) => [entry[0], entry])));
    }
    const last = page.at(-1);
    return {
      items: page.map((row) => {
        const extra = details.get(row.batchId)?.get(row.idx);
        return { test_id: row.testId, ts: row.ts, latency_ms: row.latencyMs, ok: row.ok, batch_id: row.batchId, target: extra?.[1] ?? null, status_code: extra?.[2] ?? null, error: extra?.[3] ?? null };
      }),
      next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor({ ts: last.ts, b: last.batchId, i: last.idx }) : null,
    };
  }

  /** Flow events newest batch first; a page may begin inside a batch (its flows past the cursor's offset). */
  async flows(tenant: TenantRecord, query: WindowQuery & { limit: number; cursor?: string | undefined }): Promise<{ items: FlowItem[]; next_cursor: string | null }> {
    const telemetry = this.deps.storage.telemetry;
    const cursor = decodeCursor(FlowsCursor, query.cursor);
    const items: FlowItem[] = [];
    let next: { r: string; b: string; o: number } | null = null;
    const batches = [];
    if (cursor !== undefined && cursor.o > 0) {
      const first = await telemetry.batch(tenant, cursor.b);
      if (first !== null) batches.push({ batch: first, offset: cursor.o });
    }
    const older = await telemetry.flowBatches(tenant, this.window(query), query.limit, cursor === undefined ? undefined : { receivedAt: cursor.r, batchId: cursor.b });
    batches.push(...older.map((batch) => ({ batch, offset: 0 })));
    for (const { batch, offset } of batches) {
      const opened = await openBatchDetails(this.deps.crypto, tenant.id, batch.batchId, batch.sealed);
      const flows = opened.flows.slice(offset);
      const room = query.limit - items.length;
      items.push(...flows.slice(0, room).map((flow) => ({ ...flow, batch_id: batch.batchId, agent_id: batch.agentId })));
      if (flows.length > room) {
        next = { r: batch.receivedAt, b: batch.batchId, o: offset + room };
        break;
      }
      next = { r: batch.receivedAt, b: batch.batchId, o: 0 };
      if (items.length === query.limit) break;
    }
    const more = next !== null && (next.o > 0 || items.length === query.limit);
    return { items, next_cursor: more ? encodeCursor(next) : null };
  }

  async summary(tenant: TenantRecord, query: WindowQuery): Promise<{ window: TelemetryWindow; truncated: boolean; rows: number; tests: TestStats[] }> {
    const window = this.window(query);
    const telemetry = this.deps.storage.telemetry;
    // From the store's own columns when it can (no row objects); past the limit, as before.
    const direct = telemetry.aggregates === undefined ? null : await telemetry.aggregates(tenant, window, ANALYSIS_ROW_LIMIT);
    if (direct !== null) return { window, truncated: false, rows: direct.rows, tests: direct.tests.map((test) => testStats(test.testId, test.results, test.failures, test.latencies)) };
    const rows = await telemetry.resultsForAnalysis(tenant, window, ANALYSIS_ROW_LIMIT + 1);
    const kept = rows.slice(0, ANALYSIS_ROW_LIMIT);
    return { window, truncated: rows.length > ANALYSIS_ROW_LIMIT, rows: kept.length, tests: summarize(kept) };
  }

  /** Anomalies per test over the lookback; each call counts one `ai_calls` usage unit. */
  async insights(tenant: TenantRecord, request: { lookback_minutes: number; windows: number; threshold: number }): Promise<{ from: string; to: string; analyzed: number; anomalies: Anomaly[] }> {
    const now = this.deps.clock();
    const toMs = now.getTime();
    const fromMs = toMs - request.lookback_minutes * 60_000;
    const window = { from: new Date(fromMs).toISOString(), to: now.toISOString() };
    const rows = await this.deps.storage.telemetry.resultsForAnalysis(tenant, window, ANALYSIS_ROW_LIMIT);
    const { analyzed, anomalies } = findAnomalies(rows, fromMs, toMs, request.windows, request.threshold);
    await this.deps.storage.telemetry.addUsage(tenant, 'ai_calls', 1, now.toISOString());
    return { from: window.from, to: window.to, analyzed, anomalies };
  }
}
