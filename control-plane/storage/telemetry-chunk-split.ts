import type { ChunkResult } from './telemetry-chunk-codec';
import { canonicalIsoMs, msOfIso } from './iso-time';

/**
 * Splitting a batch's results into per-test chunks, the same on both engines (SQLite's
 * telemetry_chunks, see tenant-tables.ts; PostgreSQL's, see postgres/schema.ts).
 */

/** Results in one chunk at most: a paused write stops between chunks, so this bounds a pause's wait. */
export const CHUNK_MAX_RESULTS = 512;
/** A chunk holds results of one hour-long window (UTC hours), so it spans less than this. */
export const CHUNK_WINDOW_MS = 3_600_000;

export interface Chunk {
  testId: string;
  firstMs: number;
  lastMs: number;
  results: ChunkResult[];
}

/** The time of a result as stored and compared: milliseconds since the epoch. */
export const msOf = (ts: string): number => msOfIso(ts);

/**
 * A batch's results grouped by test and hour, in batch order within each chunk; chunks come in
 * order of their first result in the batch, so the same batch always gives the same chunks (a
 * paused write resumes by chunk number).
 */
export function chunksOf(testIds: readonly string[], ts: readonly string[], latencyMs: ArrayLike<number>, ok: ArrayLike<number>, idx?: ArrayLike<number>): Chunk[] {
  // By test, then by hour: no key string built per result.
  const open = new Map<string, Map<number, Chunk>>();
  const chunks: Chunk[] = [];
  for (let i = 0; i < testIds.length; i++) {
    const testId = testIds[i] ?? '';
    const text = ts[i] ?? '';
    const canonical = canonicalIsoMs(text);
    const ms = Number.isNaN(canonical) ? Date.parse(text) : canonical;
    const hour = Math.floor(ms / CHUNK_WINDOW_MS);
    let hours = open.get(testId);
    if (hours === undefined) {
      hours = new Map();
      open.set(testId, hours);
    }
    let chunk = hours.get(hour);
    if (chunk === undefined || chunk.results.length >= CHUNK_MAX_RESULTS) {
      chunk = { testId, firstMs: ms, lastMs: ms, results: [] };
      hours.set(hour, chunk);
      chunks.push(chunk);
    }
    const latency = latencyMs[i] ?? Number.NaN;
    chunk.results.push({ idx: idx === undefined ? i : (idx[i] ?? i), ms, ts: text, latencyMs: Number.isNaN(latency) ? null : latency, ok: ok[i] === 1, canonical: !Number.isNaN(canonical) });
    if (ms < chunk.firstMs) chunk.firstMs = ms;
    if (ms > chunk.lastMs) chunk.lastMs = ms;
  }
  return chunks;
}
