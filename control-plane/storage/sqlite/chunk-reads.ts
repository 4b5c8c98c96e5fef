import type Database from 'better-sqlite3';
import type { TelemetryResultRow, TelemetryWindow } from '../types';
import type { TestAggregate } from '../telemetry-store';
import { decodeChunk, type DecodedChunk } from './telemetry-chunk-codec';
import { CHUNK_WINDOW_MS, msOf } from './telemetry-chunks';

/**
 * Reads over telemetry chunks (see telemetryChunks in tenant-tables.ts). Results are ordered by
 * (time to the millisecond, batch id, position in the batch). Chunks are visited by `last_ms`
 * (newest first for pages, oldest first for analysis) through an index, and the walk stops as
 * soon as no chunk left can hold a result that would make the answer: a page reads the chunks
 * that overlap it, not the window. Chunks of a batch a writer paused part-way are skipped.
 */

interface ChunkRow {
  test_id: string;
  first_ms: number;
  last_ms: number;
  batch_id: string;
  count: number;
  body: Buffer;
}

/** A decoded result before its time is turned back into text (only those answered are). */
interface Found {
  ms: number;
  batchId: string;
  idx: number;
  testId: string;
  latencyMs: number | null;
  ok: boolean;
  /** The time as sent, when it is not the canonical form of `ms`. */
  odd: string | undefined;
}

const compareKeys = (a: Found, b: Found): number => a.ms - b.ms || (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0) || a.idx - b.idx;

const toRow = (found: Found): TelemetryResultRow => ({
  testId: found.testId,
  ts: found.odd ?? new Date(found.ms).toISOString(),
  latencyMs: found.latencyMs,
  ok: found.ok,
  batchId: found.batchId,
  idx: found.idx,
});

function chunksQuery(db: Database.Database, byTest: boolean, newestFirst: boolean): Database.Statement {
  const scope = byTest ? 'c.series = (SELECT id FROM telemetry_series WHERE tenant_id = k.id AND test_id = @testId)' : 'c.tenant_id = k.id';
  return db.prepare(
    `SELECT s.test_id, c.first_ms, c.last_ms, c.batch_id, c.count, c.body
       FROM telemetry_tenants k
       JOIN telemetry_chunks c ON ${scope} AND c.tenant_id = k.id
       JOIN telemetry_series s ON s.id = c.series
      WHERE k.tenant_id = @tenant AND c.last_ms >= @from AND c.last_ms < @upper AND c.first_ms <= @to
        AND c.batch_id NOT IN (SELECT batch_id FROM telemetry_batches WHERE tenant_id = @tenant AND pending_from IS NOT NULL)
      ORDER BY c.last_ms ${newestFirst ? 'DESC' : 'ASC'}`,
  );
}

/**
 * Visits the chunks overlapping the window in order of `last_ms`, decoded, until `enough` (asked
 * before each chunk is decoded) says stop.
 */
function visitChunks(
  db: Database.Database,
  tenantId: string,
  window: TelemetryWindow,
  newestFirst: boolean,
  toMs: number,
  enough: (chunk: ChunkRow) => boolean,
  visit: (chunk: ChunkRow, decoded: DecodedChunk) => void,
): void {
  const statement = chunksQuery(db, window.testId !== undefined, newestFirst);
  // A chunk spans less than CHUNK_WINDOW_MS: one ending this much after `to` begins after it.
  const parameters = { tenant: tenantId, testId: window.testId, from: msOf(window.from), to: toMs, upper: toMs + CHUNK_WINDOW_MS };
  for (const chunk of statement.iterate(parameters) as IterableIterator<ChunkRow>) {
    if (enough(chunk)) break;
    visit(chunk, decodeChunk(chunk.body, chunk.count, chunk.first_ms));
  }
}

/** Walks the chunks in order, collecting the results `keep` accepts, until `enough` says stop. */
function walk(
  db: Database.Database,
  tenantId: string,
  window: TelemetryWindow,
  newestFirst: boolean,
  toMs: number,
  keep: (found: Found) => boolean,
  enough: (chunk: ChunkRow, collected: Found[]) => boolean,
): Found[] {
  const fromMs = msOf(window.from);
  const collected: Found[] = [];
  visitChunks(
    db,
    tenantId,
    window,
    newestFirst,
    toMs,
    (chunk) => enough(chunk, collected),
    (chunk, decoded) => {
      for (let i = 0; i < chunk.count; i++) {
        const ms = decoded.ms[i] ?? 0;
        if (ms < fromMs || ms > toMs) continue;
        const latency = decoded.latencyMs[i] ?? Number.NaN;
        const found: Found = { ms, batchId: chunk.batch_id, idx: decoded.idx[i] ?? 0, testId: chunk.test_id, latencyMs: Number.isNaN(latency) ? null : latency, ok: decoded.ok[i] === 1, odd: decoded.oddTimes.get(i) };
        if (keep(found)) collected.push(found);
      }
    },
  );
  return collected;
}

/**
 * Per-test counts and sorted latencies over the window straight from the chunks' columns, with no
 * result rows made. Null when the window holds more than `limit` results (the caller then
 * summarises the oldest `limit`, as before).
 */
export function chunkAggregates(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number): { rows: number; tests: TestAggregate[] } | null {
  const fromMs = msOf(window.from);
  const toMs = msOf(window.to);
  const byTest = new Map<string, { results: number; failures: number; latencies: number[] }>();
  let rows = 0;
  visitChunks(
    db,
    tenantId,
    window,
    false,
    toMs,
    () => rows > limit,
    (chunk, decoded) => {
      let entry = byTest.get(chunk.test_id);
      if (entry === undefined) {
        entry = { results: 0, failures: 0, latencies: [] };
        byTest.set(chunk.test_id, entry);
      }
      for (let i = 0; i < chunk.count; i++) {
        const ms = decoded.ms[i] ?? 0;
        if (ms < fromMs || ms > toMs) continue;
        rows++;
        entry.results++;
        if (decoded.ok[i] !== 1) entry.failures++;
        const latency = decoded.latencyMs[i] ?? Number.NaN;
        if (!Number.isNaN(latency)) entry.latencies.push(latency);
      }
    },
  );
  if (rows > limit) return null;
  const tests = [...byTest.entries()]
    .filter(([, entry]) => entry.results > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    // A typed array sorts numbers natively, several times faster than a comparator.
    .map(([testId, entry]) => ({ testId, results: entry.results, failures: entry.failures, latencies: Float64Array.from(entry.latencies).sort() }));
  return { rows, tests };
}

/** The `limit`-th best time of a walk's results at its last sort (see keepBest). */
const bestTimes = new WeakMap<Found[], number>();

/**
 * Once `found` holds `limit` results or more: the time of the `limit`-th best of them (by `order`),
 * else null. It sorts and cuts `found` back to `limit` only when `found` has doubled since, so a
 * long walk sorts O(n log n) in all; between sorts the figure it answers is that of the last sort,
 * which results found since can only better, so a stop decided on it is still sound.
 */
function keepBest(found: Found[], limit: number, order: (a: Found, b: Found) => number): number | null {
  if (found.length < limit) return null;
  const known = bestTimes.get(found);
  if (known !== undefined && found.length < 2 * limit) return known;
  found.sort(order);
  found.length = limit;
  const time = found[limit - 1]?.ms ?? 0;
  bestTimes.set(found, time);
  return time;
}

/** Newest first, before the (ts, batchId, idx) position when given; at most `limit`. */
export function newestResults(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): TelemetryResultRow[] {
  const cursor: Found | null = before === undefined ? null : { ms: msOf(before.ts), batchId: before.batchId, idx: before.idx, testId: '', latencyMs: null, ok: false, odd: undefined };
  const toMs = Math.min(msOf(window.to), cursor?.ms ?? Number.POSITIVE_INFINITY);
  const newest = (a: Found, b: Found) => compareKeys(b, a);
  const collected = walk(
    db,
    tenantId,
    window,
    true,
    toMs,
    (found) => cursor === null || compareKeys(found, cursor) < 0,
    (chunk, found) => {
      // Every chunk left ends at or before this one: done once `limit` results are newer than its end.
      const kept = keepBest(found, limit, newest);
      return kept !== null && kept > chunk.last_ms;
    },
  );
  return collected.sort(newest).slice(0, limit).map(toRow);
}

/** Oldest first, at most `limit` (summaries and insights). */
export function oldestResults(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number): TelemetryResultRow[] {
  const collected = walk(
    db,
    tenantId,
    window,
    false,
    msOf(window.to),
    () => true,
    (chunk, found) => {
      // Every chunk left ends at or after this one, so begins after its end less a window.
      const kept = keepBest(found, limit, compareKeys);
      return kept !== null && kept < chunk.last_ms - CHUNK_WINDOW_MS + 1;
    },
  );
  return collected.sort(compareKeys).slice(0, limit).map(toRow);
}
