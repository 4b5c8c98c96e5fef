import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FlowsQuery, InsightsRequest, ResultsQuery, TelemetryWindowQuery } from '../../contracts/telemetry';
import type { TenantPermission } from '../../contracts/tenant-directory';
import type { AuthenticatedTenant, TenantAuth } from '../auth/tenant-auth';
import { GrantAuth } from '../breakglass/grant-access';
import type { FairnessRegistry } from '../fairness/fairness-registry';
import { openBatchDetails, type BatchDetails } from '../ingest/batch-details';
import { findAnomalies, summarize } from '../ingest/telemetry-analysis';
import type { TelemetryWindow, TenantRecord } from '../storage/types';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import type { ProviderContext } from './context';
import { ApiError } from './errors';
import { rateLimited } from './ingest-routes';
import { parseWith } from './validation';

/** Rows one summary or insight reads at most; past it the answer says `truncated`. */
const ANALYSIS_ROW_LIMIT = 200_000;
const DEFAULT_WINDOW_MS = 24 * 3600 * 1000;

/** A grant's optional tenant selector; the rest of the query is checked by the route's own schema. */
const GrantTenantQuery = z.looseObject({ tenant: z.string().min(1).max(200).optional() });

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

function windowOf(query: { from?: string | undefined; to?: string | undefined; test_id?: string | undefined }, now: Date): TelemetryWindow {
  const to = query.to ?? now.toISOString();
  const from = query.from ?? new Date(Date.parse(to) - DEFAULT_WINDOW_MS).toISOString();
  if (from > to) {
    throw new ApiError(400, 'invalid_request', '`from` is after `to`.', { issues: [{ path: 'from', message: 'after to' }] });
  }
  return { from, to, testId: query.test_id };
}

/**
 * Telemetry reads for the tenant's own users (`telemetry:read`) and insights (`insights:run`).
 * Each call spends one unit of the tenant's query budget. Operator session tokens never get here:
 * the route table answers them 403 no_implicit_access. An operator reads the three GET routes only
 * with an active break-glass grant (`bhg_`) for the tenant, and each such read is written to the
 * tenant's ledger and the provider ledger before it is answered.
 */
export function telemetryRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, deps: { fairness: FairnessRegistry; crypto: TenantCrypto; grants: GrantAuth }) {
  const admitQuery = (tenant: TenantRecord) => {
    const take = deps.fairness.takeQuery(tenant);
    if (!take.admitted) {
      throw rateLimited(take.retryAfterMs, "Over the tenant's query budget (queries per minute). Retry after Retry-After.");
    }
  };
  const reader = async (authorization: string | undefined, permission: TenantPermission): Promise<AuthenticatedTenant> => {
    const auth = await tenantAuth.authorize(authorization, permission);
    admitQuery(auth.tenant);
    return auth;
  };
  /**
   * The caller of a read route: a tenant user, or an operator's grant. A grant may name its tenant
   * (`?tenant=` id or slug, so a script says what it means to read); that parameter is the grant's,
   * not the route's, and is taken out of the query. `recorded` ledgers a grant's read (no-op for users).
   */
  const telemetryReader = async (request: FastifyRequest): Promise<{ tenant: TenantRecord; query: unknown; recorded: (query: object, rows: number) => Promise<void> }> => {
    const { authorization } = request.headers;
    if (!GrantAuth.presented(authorization)) {
      const { tenant } = await reader(authorization, 'telemetry:read');
      return { tenant, query: request.query, recorded: () => Promise.resolve() };
    }
    const { tenant: named, ...rest } = parseWith(GrantTenantQuery, request.query, 'query');
    const route = request.routeOptions.url ?? '';
    const access = await deps.grants.authorize(authorization, route, named);
    admitQuery(access.tenant);
    return { tenant: access.tenant, query: rest, recorded: (query, rows) => deps.grants.recordRead(access, route, { ...query }, rows) };
  };
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/telemetry/results', async (request) => {
      const caller = await telemetryReader(request);
      const { tenant } = caller;
      const query = parseWith(ResultsQuery, caller.query, 'query');
      const window = windowOf(query, ctx.clock());
      const cursor = decodeCursor(ResultsCursor, query.cursor);
      const rows = await ctx.storage.telemetry.results(tenant, window, query.limit + 1, cursor === undefined ? undefined : { ts: cursor.ts, batchId: cursor.b, idx: cursor.i });
      const page = rows.slice(0, query.limit);
      // Details are sealed per batch: open each batch on the page once.
      const details = new Map<string, Map<number, BatchDetails['results'][number]>>();
      for (const batchId of new Set(page.map((row) => row.batchId))) {
        const batch = await ctx.storage.telemetry.batch(tenant, batchId);
        const opened = await openBatchDetails(deps.crypto, tenant.id, batchId, batch?.sealed ?? null);
        details.set(batchId, new Map(opened.results.map((entry) => [entry[0], entry])));
      }
      const last = page.at(-1);
      await caller.recorded(query, page.length);
      return {
        items: page.map((row) => {
          const extra = details.get(row.batchId)?.get(row.idx);
          return { test_id: row.testId, ts: row.ts, latency_ms: row.latencyMs, ok: row.ok, batch_id: row.batchId, target: extra?.[1] ?? null, status_code: extra?.[2] ?? null, error: extra?.[3] ?? null };
        }),
        next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor({ ts: last.ts, b: last.batchId, i: last.idx }) : null,
      };
    });

    app.get('/v1/telemetry/flows', async (request) => {
      const caller = await telemetryReader(request);
      const { tenant } = caller;
      const query = parseWith(FlowsQuery, caller.query, 'query');
      const window = windowOf(query, ctx.clock());
      const cursor = decodeCursor(FlowsCursor, query.cursor);
      const items: (BatchDetails['flows'][number] & { batch_id: string; agent_id: string })[] = [];
      let next: { r: string; b: string; o: number } | null = null;
      // A page may begin inside a batch (its flows past `o`), then continues with older batches.
      const batches = [];
      if (cursor !== undefined && cursor.o > 0) {
        const first = await ctx.storage.telemetry.batch(tenant, cursor.b);
        if (first !== null) batches.push({ batch: first, offset: cursor.o });
      }
      const older = await ctx.storage.telemetry.flowBatches(tenant, window, query.limit, cursor === undefined ? undefined : { receivedAt: cursor.r, batchId: cursor.b });
      batches.push(...older.map((batch) => ({ batch, offset: 0 })));
      for (const { batch, offset } of batches) {
        const opened = await openBatchDetails(deps.crypto, tenant.id, batch.batchId, batch.sealed);
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
      await caller.recorded(query, items.length);
      return { items, next_cursor: more ? encodeCursor(next) : null };
    });

    app.get('/v1/telemetry/summary', async (request) => {
      const caller = await telemetryReader(request);
      const { tenant } = caller;
      const query = parseWith(TelemetryWindowQuery, caller.query, 'query');
      const window = windowOf(query, ctx.clock());
      const rows = await ctx.storage.telemetry.resultsForAnalysis(tenant, window, ANALYSIS_ROW_LIMIT + 1);
      await caller.recorded(query, Math.min(rows.length, ANALYSIS_ROW_LIMIT));
      return {
        from: window.from,
        to: window.to,
        truncated: rows.length > ANALYSIS_ROW_LIMIT,
        tests: summarize(rows.slice(0, ANALYSIS_ROW_LIMIT)).map((stats) => ({
          test_id: stats.testId,
          results: stats.results,
          failures: stats.failures,
          loss_pct: stats.lossPct,
          latency_p50_ms: stats.p50,
          latency_p95_ms: stats.p95,
          latency_p99_ms: stats.p99,
        })),
      };
    });

    app.post('/v1/insights', async (request) => {
      const { tenant } = await reader(request.headers.authorization, 'insights:run');
      const body = parseWith(InsightsRequest, request.body);
      const now = ctx.clock();
      const toMs = now.getTime();
      const fromMs = toMs - body.lookback_minutes * 60_000;
      const window = { from: new Date(fromMs).toISOString(), to: now.toISOString() };
      const rows = await ctx.storage.telemetry.resultsForAnalysis(tenant, window, ANALYSIS_ROW_LIMIT);
      const { analyzed, anomalies } = findAnomalies(rows, fromMs, toMs, body.windows, body.threshold);
      await ctx.storage.telemetry.addUsage(tenant, 'ai_calls', 1, now.toISOString());
      const worst = anomalies[0];
      return {
        from: window.from,
        to: window.to,
        window_minutes: body.lookback_minutes / body.windows,
        tests_analyzed: analyzed,
        anomalies: anomalies.map((anomaly) => ({
          test_id: anomaly.testId,
          metric: anomaly.metric,
          latest: anomaly.latest,
          baseline_median: anomaly.baselineMedian,
          robust_z: anomaly.robustZ,
          window_start: anomaly.windowStart,
        })),
        summary:
          worst === undefined
            ? `No anomalies among ${analyzed} tests with enough history in the last ${body.lookback_minutes} minutes.`
            : `${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'} among ${analyzed} tests; worst: test ${worst.testId} ${worst.metric} ${round(worst.latest)} against a baseline median of ${round(worst.baselineMedian)} (robust z ${worst.robustZ}).`,
      };
    });
    return Promise.resolve();
  };
}

const round = (value: number) => Math.round(value * 100) / 100;
