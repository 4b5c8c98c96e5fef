import type Database from 'better-sqlite3';
import { encodeChunk, type ChunkResult } from './telemetry-chunk-codec';

/**
 * Splitting a batch's results into chunks (see telemetryChunks in tenant-tables.ts) and the
 * statements that store them. Shared by the writer thread and the upgrade from row-per-result.
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
export const msOf = (ts: string): number => Date.parse(ts);

/**
 * A batch's results grouped by test and hour, in batch order within each chunk; chunks come in
 * order of their first result in the batch, so the same batch always gives the same chunks (a
 * paused write resumes by chunk number).
 */
export function chunksOf(testIds: readonly string[], ts: readonly string[], latencyMs: ArrayLike<number>, ok: ArrayLike<number>, idx?: ArrayLike<number>): Chunk[] {
  const open = new Map<string, Chunk>();
  const chunks: Chunk[] = [];
  for (let i = 0; i < testIds.length; i++) {
    const testId = testIds[i] ?? '';
    const text = ts[i] ?? '';
    const ms = msOf(text);
    const key = `${testId}\n${Math.floor(ms / CHUNK_WINDOW_MS)}`;
    let chunk = open.get(key);
    if (chunk === undefined || chunk.results.length >= CHUNK_MAX_RESULTS) {
      chunk = { testId, firstMs: ms, lastMs: ms, results: [] };
      open.set(key, chunk);
      chunks.push(chunk);
    }
    const latency = latencyMs[i] ?? Number.NaN;
    chunk.results.push({ idx: idx === undefined ? i : (idx[i] ?? i), ms, ts: text, latencyMs: Number.isNaN(latency) ? null : latency, ok: ok[i] === 1 });
    if (ms < chunk.firstMs) chunk.firstMs = ms;
    if (ms > chunk.lastMs) chunk.lastMs = ms;
  }
  return chunks;
}

export interface ChunkStatements {
  tenantKey: Database.Statement;
  addTenant: Database.Statement;
  seriesKey: Database.Statement;
  addSeries: Database.Statement;
  insertChunk: Database.Statement;
}

export function prepareChunks(db: Database.Database): ChunkStatements {
  return {
    tenantKey: db.prepare('SELECT id FROM telemetry_tenants WHERE tenant_id = ?').pluck(),
    addTenant: db.prepare('INSERT INTO telemetry_tenants (tenant_id) VALUES (?)'),
    seriesKey: db.prepare('SELECT id FROM telemetry_series WHERE tenant_id = ? AND test_id = ?').pluck(),
    addSeries: db.prepare('INSERT INTO telemetry_series (tenant_id, test_id) VALUES (?, ?)'),
    insertChunk: db.prepare('INSERT INTO telemetry_chunks (tenant_id, series, first_ms, last_ms, batch_id, count, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  };
}

/**
 * The tenant's key in this file, added on its first write. Not cached across transactions: a
 * rolled-back insert would leave a cached key naming nothing.
 */
export function tenantKeyOf(statements: ChunkStatements, tenantId: string): number {
  const found = statements.tenantKey.get(tenantId) as number | undefined;
  return found ?? Number(statements.addTenant.run(tenantId).lastInsertRowid);
}

export function seriesKeyOf(statements: ChunkStatements, tenantKey: number, testId: string): number {
  const found = statements.seriesKey.get(tenantKey, testId) as number | undefined;
  return found ?? Number(statements.addSeries.run(tenantKey, testId).lastInsertRowid);
}

/** Stores one chunk; answers its rowid. `series` caches keys for the current transaction only. */
export function insertChunk(statements: ChunkStatements, tenantKey: number, series: Map<string, number>, batchId: string, chunk: Chunk): number {
  let key = series.get(chunk.testId);
  if (key === undefined) {
    key = seriesKeyOf(statements, tenantKey, chunk.testId);
    series.set(chunk.testId, key);
  }
  const body = encodeChunk(chunk.results, chunk.firstMs);
  return Number(statements.insertChunk.run(tenantKey, key, chunk.firstMs, chunk.lastMs, batchId, chunk.results.length, body).lastInsertRowid);
}
