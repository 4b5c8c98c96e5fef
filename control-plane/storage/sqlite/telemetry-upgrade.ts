import type Database from 'better-sqlite3';
import { chunksOf } from '../telemetry-chunk-split';
import { insertChunk, prepareChunks, tenantKeyOf } from './telemetry-chunks';

interface LegacyRow {
  test_id: string;
  ts: string;
  latency_ms: number | null;
  ok: number;
  idx: number;
}

/**
 * The migration step that moves a store's row-per-result telemetry (`telemetry_results`) into
 * chunks, batch by batch, then drops the old table and its two indexes. Runs inside the migration's
 * transaction (at start-up or `control-plane migrate`): a crash leaves the old layout whole.
 *
 * Batches a writer left part-way (pending) were never acknowledged: they go, as the writer itself
 * would remove them before its next write. Rows from before batch rows existed carry no batch row
 * and position 0: they move as they are, grouped by their batch id.
 */
export function moveResultsToChunks(db: Database.Database): void {
  const left = db.prepare('SELECT tenant_id, batch_id, pending_from FROM telemetry_batches WHERE pending_from IS NOT NULL').all() as { tenant_id: string; batch_id: string; pending_from: number }[];
  for (const batch of left) {
    db.prepare('DELETE FROM telemetry_results WHERE rowid >= ? AND tenant_id = ? AND batch_id = ?').run(batch.pending_from, batch.tenant_id, batch.batch_id);
    db.prepare('DELETE FROM telemetry_batches WHERE tenant_id = ? AND batch_id = ?').run(batch.tenant_id, batch.batch_id);
  }
  // Built for this move only (it goes with the table): one batch's rows, in batch order.
  db.exec('CREATE INDEX telemetry_results_by_batch ON telemetry_results (tenant_id, batch_id, idx)');
  const batches = db.prepare('SELECT DISTINCT tenant_id, batch_id FROM telemetry_results').all() as { tenant_id: string; batch_id: string }[];
  const rowsOf = db.prepare('SELECT test_id, ts, latency_ms, ok, idx FROM telemetry_results WHERE tenant_id = ? AND batch_id = ? ORDER BY idx, rowid');
  const statements = prepareChunks(db);
  for (const batch of batches) {
    const rows = rowsOf.all(batch.tenant_id, batch.batch_id) as LegacyRow[];
    const chunks = chunksOf(
      rows.map((row) => row.test_id),
      rows.map((row) => row.ts),
      rows.map((row) => row.latency_ms ?? Number.NaN),
      rows.map((row) => row.ok),
      rows.map((row) => row.idx),
    );
    const tenantKey = tenantKeyOf(statements, batch.tenant_id);
    const series = new Map<string, number>();
    for (const chunk of chunks) insertChunk(statements, tenantKey, series, batch.batch_id, chunk);
  }
  db.exec('DROP TABLE telemetry_results');
}
