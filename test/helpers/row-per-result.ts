// The row-per-result telemetry layout SQLite used before chunks (issue #22): a store migrated
// with the released steps before `telemetryChunks`, its writes and its reads. The upgrade test
// builds old data dirs with it; the benchmarks measure the new layout against it in one run.
import Database from 'better-sqlite3';
import { storePragmas } from '../../control-plane/storage/sqlite/connection';
import { migrationSets } from '../../control-plane/storage/sqlite/migrations';
import { telemetryChunks } from '../../control-plane/storage/sqlite/tenant-tables';
import { toResult, type ResultRow } from '../../control-plane/storage/rows/telemetry-rows';
import type { TelemetryResultRow, TelemetryWindow } from '../../control-plane/storage/types';

export const ROW_PER_RESULT_INSERT = 'INSERT INTO telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** A store as the row-per-result release created (or reopened) it, with the same pragmas as every store. */
export function openRowPerResultStore(file: string, kind: 'telemetry' | 'silo', synchronous: 'FULL' | 'NORMAL' | 'OFF' = 'FULL'): Database.Database {
  const db = new Database(file);
  for (const pragma of storePragmas(synchronous === 'OFF' ? 'NORMAL' : synchronous)) db.pragma(pragma);
  if (synchronous === 'OFF') db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const steps = migrationSets[kind];
  const before = steps.indexOf(telemetryChunks);
  if (before <= 0) throw new Error('no chunks step');
  const applied = db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number;
  steps.slice(0, before).forEach((step, index) => {
    if (typeof step !== 'string') throw new Error('a released step is SQL');
    if (index < applied) return;
    db.exec(step);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(index + 1, '2026-03-01T00:00:00.000Z');
  });
  return db;
}

const NOT_PENDING = 'batch_id NOT IN (SELECT batch_id FROM telemetry_batches WHERE tenant_id = @tenant AND pending_from IS NOT NULL)';

/** The release's page read, verbatim: newest first. */
export function rowPerResultNewest(db: Database.Database, tenant: string, window: TelemetryWindow, limit: number): TelemetryResultRow[] {
  const conditions = ['tenant_id = @tenant', 'ts >= @from', 'ts <= @to', NOT_PENDING];
  if (window.testId !== undefined) conditions.push('test_id = @testId');
  const rows = db
    .prepare(`SELECT test_id, ts, latency_ms, ok, batch_id, idx FROM telemetry_results WHERE ${conditions.join(' AND ')} ORDER BY ts DESC, batch_id DESC, idx DESC LIMIT @limit`)
    .all({ tenant, from: window.from, to: window.to, testId: window.testId, limit }) as ResultRow[];
  return rows.map(toResult);
}

/** The release's analysis read, oldest first, with a tie-break for equal times (which it left to SQLite). */
export function rowPerResultOldest(db: Database.Database, tenant: string, window: TelemetryWindow, limit: number): TelemetryResultRow[] {
  const byTest = window.testId === undefined ? '' : ' AND test_id = @testId';
  const rows = db
    .prepare(`SELECT test_id, ts, latency_ms, ok, batch_id, idx FROM telemetry_results WHERE tenant_id = @tenant AND ts >= @from AND ts <= @to AND ${NOT_PENDING}${byTest} ORDER BY ts, batch_id, idx LIMIT @limit`)
    .all({ tenant, from: window.from, to: window.to, testId: window.testId, limit }) as ResultRow[];
  return rows.map(toResult);
}
