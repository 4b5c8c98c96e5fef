import type Database from 'better-sqlite3';
import type { TelemetryBatchWrite } from '../types';

/**
 * A batch as the SQLite writer takes it: columns packed into a few strings and typed arrays, so
 * handing it to the writer thread copies a handful of buffers instead of cloning 500 objects.
 * Test ids and timestamps are UUIDs and ISO times (validated), so a newline cannot occur in them.
 */
export interface PackedBatch {
  tenantId: string;
  batchId: string;
  agentId: string;
  receivedAt: string;
  count: number;
  /** Test ids joined by newlines. */
  testIds: string;
  /** Result times joined by newlines. */
  ts: string;
  /** NaN where the result has no latency. */
  latencyMs: Float64Array;
  ok: Uint8Array;
  flowCount: number;
  bytes: number;
  sealed: Uint8Array | null;
}

export function packBatch(batch: TelemetryBatchWrite): PackedBatch {
  const count = batch.testIds.length;
  const latencyMs = new Float64Array(count);
  const ok = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    latencyMs[i] = batch.latencyMs[i] ?? Number.NaN;
    ok[i] = batch.ok[i] === true ? 1 : 0;
  }
  return {
    tenantId: batch.tenant.id,
    batchId: batch.batchId,
    agentId: batch.agentId,
    receivedAt: batch.receivedAt,
    count,
    testIds: batch.testIds.join('\n'),
    ts: batch.ts.join('\n'),
    latencyMs,
    ok,
    flowCount: batch.flowCount,
    bytes: batch.bytes,
    sealed: batch.sealed,
  };
}

export interface PackedStatements {
  insertBatch: Database.Statement;
  insertResult: Database.Statement;
  addUsage: Database.Statement;
}

// The two functions below also run in the writer thread from their source text (see
// telemetry-writer-thread.ts): they must stay self-contained, with no imports or outer names.

export function preparePacked(db: Database.Database): PackedStatements {
  return {
    insertBatch: db.prepare(
      `INSERT INTO telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, batch_id) DO NOTHING`,
    ),
    insertResult: db.prepare('INSERT INTO telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    addUsage: db.prepare('INSERT INTO usage_counters (tenant_id, day, meter, value) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, day, meter) DO UPDATE SET value = value + excluded.value'),
  };
}

/**
 * Writes batches (call inside a transaction) and returns the `tenant/batch` keys already stored,
 * which write nothing: a retried batch id is stored once. Usage meters count in the same
 * transaction as the rows they count.
 */
export function writePacked(statements: PackedStatements, batches: readonly PackedBatch[]): string[] {
  const duplicates: string[] = [];
  for (const batch of batches) {
    const testIds = batch.count === 0 ? [] : batch.testIds.split('\n');
    const ts = batch.count === 0 ? [] : batch.ts.split('\n');
    let first: string | null = null;
    let last: string | null = null;
    for (const value of ts) {
      if (first === null || value < first) first = value;
      if (last === null || value > last) last = value;
    }
    const sealed = batch.sealed === null ? null : Buffer.from(batch.sealed.buffer, batch.sealed.byteOffset, batch.sealed.byteLength);
    const inserted = statements.insertBatch.run(batch.tenantId, batch.batchId, batch.agentId, batch.receivedAt, first, last, batch.count, batch.flowCount, batch.bytes, sealed);
    if (inserted.changes === 0) {
      duplicates.push(`${batch.tenantId}/${batch.batchId}`);
      continue;
    }
    for (let i = 0; i < batch.count; i++) {
      const latency = batch.latencyMs[i] ?? Number.NaN;
      statements.insertResult.run(batch.tenantId, testIds[i], ts[i], Number.isNaN(latency) ? null : latency, batch.ok[i], batch.batchId, i);
    }
    const day = batch.receivedAt.slice(0, 10);
    if (batch.count > 0) statements.addUsage.run(batch.tenantId, day, 'results_ingested', batch.count);
    if (batch.flowCount > 0) statements.addUsage.run(batch.tenantId, day, 'flow_events', batch.flowCount);
    statements.addUsage.run(batch.tenantId, day, 'ingest_bytes', batch.bytes);
  }
  return duplicates;
}
