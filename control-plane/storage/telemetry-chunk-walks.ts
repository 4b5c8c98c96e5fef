import type { TelemetryResultRow, TelemetryWindow } from './types';
import type { TestAggregate } from './telemetry-store';
import { ChunkTally, decodeChunk, tallyChunk } from './telemetry-chunk-codec';
import { CHUNK_WINDOW_MS, msOf } from './telemetry-chunk-split';

/**
 * The reads over telemetry chunks, the same on both engines: an engine hands a walk the chunks
 * that overlap its range (`rangeOf`), in order of `last_ms` (`newestFirst`), one at a time, until
 * `offer` answers false. Results are ordered by (time to the millisecond, batch id, position in
 * the batch). A walk decodes only the chunks it is offered, and says stop as soon as no chunk left
 * can hold a result that would change the answer, so a page reads the chunks that overlap it, not
 * the window.
 */

/** A stored chunk as an engine reads it (its body still packed). */
export interface StoredChunk {
  testId: string;
  firstMs: number;
  lastMs: number;
  batchId: string;
  count: number;
  body: Uint8Array;
}

/** A chunk's row as both engines select it (`first_ms`, `last_ms` as numbers). */
export interface ChunkRow {
  test_id: string;
  first_ms: number;
  last_ms: number;
  batch_id: string;
  count: number;
  body: Uint8Array;
}

export const chunkOfRow = (row: ChunkRow): StoredChunk => ({ testId: row.test_id, firstMs: row.first_ms, lastMs: row.last_ms, batchId: row.batch_id, count: row.count, body: row.body });

export interface ChunkWalk<T> {
  newestFirst: boolean;
  /** True when the walk reads every chunk of its range until a limit (a summary): an engine may fetch them in large steps from the start. */
  readsAll: boolean;
  /** Chunks to offer: `lastMs >= from`, `lastMs < upper`, `firstMs <= to` (of the window's test, when it names one). */
  range: { from: number; to: number; upper: number };
  /** Takes the next chunk; false once no chunk left can change the answer (offer no more). */
  offer(chunk: StoredChunk): boolean;
  answer(): T;
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

/** The chunks that can hold results of [from, to]: a chunk spans less than CHUNK_WINDOW_MS, so one ending this much after `to` begins after it. */
function rangeOf(window: TelemetryWindow, toMs: number): { from: number; to: number; upper: number } {
  return { from: msOf(window.from), to: toMs, upper: toMs + CHUNK_WINDOW_MS };
}

/** Decodes a chunk and hands `keep` each of its results in [fromMs, toMs]. */
function eachResult(chunk: StoredChunk, fromMs: number, toMs: number, keep: (found: Found) => void): void {
  const decoded = decodeChunk(chunk.body, chunk.count, chunk.firstMs);
  for (let i = 0; i < chunk.count; i++) {
    const ms = decoded.ms[i] ?? 0;
    if (ms < fromMs || ms > toMs) continue;
    const latency = decoded.latencyMs[i] ?? Number.NaN;
    keep({ ms, batchId: chunk.batchId, idx: decoded.idx[i] ?? 0, testId: chunk.testId, latencyMs: Number.isNaN(latency) ? null : latency, ok: decoded.ok[i] === 1, odd: decoded.oddTimes.get(i) });
  }
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

type ResultCursor = { ts: string; batchId: string; idx: number };

/**
 * Results newest or oldest first, at most `limit`, before the (ts, batchId, idx) position when
 * given. The two directions differ only in their order and in when the chunks left can hold
 * nothing better than the `limit` already found.
 */
function resultWalk(direction: 'newest' | 'oldest', window: TelemetryWindow, limit: number, before?: ResultCursor): ChunkWalk<TelemetryResultRow[]> {
  const newestFirst = direction === 'newest';
  const cursor: Found | null = before === undefined ? null : { ms: msOf(before.ts), batchId: before.batchId, idx: before.idx, testId: '', latencyMs: null, ok: false, odd: undefined };
  const toMs = Math.min(msOf(window.to), cursor?.ms ?? Number.POSITIVE_INFINITY);
  const range = rangeOf(window, toMs);
  const order = newestFirst ? (a: Found, b: Found) => compareKeys(b, a) : compareKeys;
  // Newest first, every chunk left ends at or before this one; oldest first, every chunk left
  // ends at or after this one, so begins after its end less a window.
  const nothingBetter = newestFirst ? (kept: number, chunk: StoredChunk) => kept > chunk.lastMs : (kept: number, chunk: StoredChunk) => kept < chunk.lastMs - CHUNK_WINDOW_MS + 1;
  const collected: Found[] = [];
  return {
    newestFirst,
    readsAll: false,
    range,
    offer(chunk) {
      const kept = keepBest(collected, limit, order);
      if (kept !== null && nothingBetter(kept, chunk)) return false;
      eachResult(chunk, range.from, toMs, (found) => {
        if (cursor === null || compareKeys(found, cursor) < 0) collected.push(found);
      });
      return true;
    },
    answer: () => collected.sort(order).slice(0, limit).map(toRow),
  };
}

/** Newest first, before the (ts, batchId, idx) position when given; at most `limit`. */
export function newestWalk(window: TelemetryWindow, limit: number, before?: ResultCursor): ChunkWalk<TelemetryResultRow[]> {
  return resultWalk('newest', window, limit, before);
}

/** Oldest first, at most `limit` (summaries and insights). */
export function oldestWalk(window: TelemetryWindow, limit: number): ChunkWalk<TelemetryResultRow[]> {
  return resultWalk('oldest', window, limit);
}

/**
 * Per-test counts and answered latencies over the window straight from the chunks' columns, with
 * no result rows made. Null when the window holds more than `limit` results (the caller then
 * summarises the oldest `limit`, as before).
 */
export function aggregateWalk(window: TelemetryWindow, limit: number): ChunkWalk<{ rows: number; tests: TestAggregate[] } | null> {
  const toMs = msOf(window.to);
  const range = rangeOf(window, toMs);
  const byTest = new Map<string, ChunkTally>();
  let rows = 0;
  return {
    newestFirst: false,
    readsAll: true,
    range,
    offer(chunk) {
      if (rows > limit) return false;
      let tally = byTest.get(chunk.testId);
      if (tally === undefined) {
        tally = new ChunkTally();
        byTest.set(chunk.testId, tally);
      }
      // Straight from the columns: no result objects (a summary may cover a day of results).
      rows += tallyChunk(chunk.body, chunk.count, chunk.firstMs, chunk.lastMs, range.from, toMs, tally);
      return true;
    },
    answer() {
      if (rows > limit) return null;
      return {
        rows,
        tests: [...byTest.entries()]
          .filter(([, tally]) => tally.results > 0)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([testId, tally]) => ({ testId, results: tally.results, failures: tally.failures, latencies: tally.latencies() })),
      };
    },
  };
}
