// What a SQLite telemetry file holds, for tests that look past the store's own reads: results
// are packed in chunks (see telemetryChunks in control-plane/storage/sqlite/tenant-tables.ts).
import type Database from 'better-sqlite3';
import { decodeChunk } from '../../control-plane/storage/telemetry-chunk-codec';

/** Results stored (pending batches included), optionally of one tenant (its UUID) and one batch. */
export function countResults(db: Database.Database, where: { tenantId?: string; batchId?: string } = {}): number {
  return db
    .prepare(
      `SELECT COALESCE(SUM(c.count), 0) FROM telemetry_chunks c JOIN telemetry_tenants k ON k.id = c.tenant_id
        WHERE (@tenant IS NULL OR k.tenant_id = @tenant) AND (@batch IS NULL OR c.batch_id = @batch)`,
    )
    .pluck()
    .get({ tenant: where.tenantId ?? null, batch: where.batchId ?? null }) as number;
}

/** Results stored per tenant UUID. */
export function resultsByTenant(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT k.tenant_id, SUM(c.count) AS n FROM telemetry_chunks c JOIN telemetry_tenants k ON k.id = c.tenant_id GROUP BY k.tenant_id').all() as { tenant_id: string; n: number }[];
  return Object.fromEntries(rows.map((row) => [row.tenant_id, row.n]));
}

/** Results stored per batch id, in batch id order. */
export function resultsByBatch(db: Database.Database): { batch_id: string; n: number }[] {
  return db.prepare('SELECT batch_id, SUM(count) AS n FROM telemetry_chunks GROUP BY batch_id ORDER BY batch_id').all() as { batch_id: string; n: number }[];
}

/** One batch's results unpacked, in batch order, as the row-per-result table held them. */
export function batchResults(db: Database.Database, tenantId: string, batchId: string): { test_id: string; ts: string; latency_ms: number | null; ok: number; idx: number }[] {
  const chunks = db
    .prepare(
      `SELECT s.test_id, c.first_ms, c.count, c.body FROM telemetry_chunks c JOIN telemetry_tenants k ON k.id = c.tenant_id JOIN telemetry_series s ON s.id = c.series
        WHERE k.tenant_id = ? AND c.batch_id = ?`,
    )
    .all(tenantId, batchId) as { test_id: string; first_ms: number; count: number; body: Buffer }[];
  return chunks
    .flatMap((chunk) => {
      const decoded = decodeChunk(chunk.body, chunk.count, chunk.first_ms);
      return Array.from({ length: chunk.count }, (_, i) => {
        const latency = decoded.latencyMs[i] ?? Number.NaN;
        return { test_id: chunk.test_id, ts: decoded.oddTimes.get(i) ?? new Date(decoded.ms[i] ?? 0).toISOString(), latency_ms: Number.isNaN(latency) ? null : latency, ok: decoded.ok[i] ?? 0, idx: decoded.idx[i] ?? 0 };
      });
    })
    .sort((a, b) => a.idx - b.idx);
}
