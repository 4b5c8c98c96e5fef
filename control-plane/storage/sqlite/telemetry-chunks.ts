import type Database from 'better-sqlite3';
import { encodeChunk } from '../telemetry-chunk-codec';
import type { Chunk } from '../telemetry-chunk-split';

/**
 * The statements that store chunks (see telemetryChunks in tenant-tables.ts; the split is
 * ../telemetry-chunk-split.ts). Shared by the writer thread and the upgrade from row-per-result.
 */

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
