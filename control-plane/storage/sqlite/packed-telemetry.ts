import type Database from 'better-sqlite3';
import type { TelemetryBatchWrite } from '../types';
import { chunksOf } from '../telemetry-chunk-split';
import { insertChunk, prepareChunks, tenantKeyOf, type ChunkStatements } from './telemetry-chunks';

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
  chunks: ChunkStatements;
  addUsage: Database.Statement;
  markPending: Database.Statement;
  clearPending: Database.Statement;
  isPending: Database.Statement;
  leftPending: Database.Statement;
  removePendingRows: Database.Statement;
  removePendingBatch: Database.Statement;
}

/** Where a paused write goes on: the batch, its next chunk, and (mid-batch) the rowid of its first chunk. */
export interface PackedCursor {
  batch: number;
  /** The next chunk of the batch (see chunksOf). */
  row: number;
  pendingFrom: number | null;
}

/** What a write found: retried batches already stored, and whether one of them is still being written. */
export interface PackedOutcome {
  duplicates: string[];
  /** A duplicate is a batch this writer paused part-way: it may be acknowledged only once that one commits. */
  waitsForPending: boolean;
}

// The functions below run in the writer thread (bundled with it, see telemetry-writer-thread.ts).

export function preparePacked(db: Database.Database): PackedStatements {
  return {
    insertBatch: db.prepare(
      `INSERT INTO telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, batch_id) DO NOTHING`,
    ),
    chunks: prepareChunks(db),
    addUsage: db.prepare('INSERT INTO usage_counters (tenant_id, day, meter, value) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, day, meter) DO UPDATE SET value = value + excluded.value'),
    markPending: db.prepare('UPDATE telemetry_batches SET pending_from = ? WHERE tenant_id = ? AND batch_id = ?'),
    clearPending: db.prepare('UPDATE telemetry_batches SET pending_from = NULL WHERE tenant_id = ? AND batch_id = ?'),
    isPending: db.prepare('SELECT 1 FROM telemetry_batches WHERE tenant_id = ? AND batch_id = ? AND pending_from IS NOT NULL'),
    leftPending: db.prepare('SELECT tenant_id, batch_id, pending_from FROM telemetry_batches WHERE pending_from IS NOT NULL'),
    // A paused batch's results are the chunks from its first one on (rowids only grow) that carry its ids.
    removePendingRows: db.prepare('DELETE FROM telemetry_chunks WHERE rowid >= ? AND tenant_id = (SELECT id FROM telemetry_tenants WHERE tenant_id = ?) AND batch_id = ?'),
    removePendingBatch: db.prepare('DELETE FROM telemetry_batches WHERE tenant_id = ? AND batch_id = ?'),
  };
}

/**
 * Removes batches a writer paused and never finished (the process stopped between its
 * transactions): they were never acknowledged, so their agents send them again. Run by the only
 * writer of the file before its first write.
 */
export function removeUnfinished(statements: PackedStatements): number {
  const left = statements.leftPending.all() as { tenant_id: string; batch_id: string; pending_from: number }[];
  for (const batch of left) {
    statements.removePendingRows.run(batch.pending_from, batch.tenant_id, batch.batch_id);
    statements.removePendingBatch.run(batch.tenant_id, batch.batch_id);
  }
  return left.length;
}

/**
 * Writes batches from `from` on (call inside a transaction), as chunks (see telemetry-chunks.ts).
 * After each chunk, once `pauseEvery` results were written since it last asked, it asks
 * `shouldPause`; on yes it stops, marks a batch it is part-way through as pending, and returns
 * where to go on in a later transaction (null once everything is written). A retried batch id
 * is stored once: it writes nothing and is named in `outcome.duplicates`. Usage meters count in
 * the transaction that finishes the batch.
 */
export function writePacked(
  statements: PackedStatements,
  batches: readonly PackedBatch[],
  outcome: PackedOutcome,
  from: PackedCursor,
  shouldPause: () => boolean,
  pauseEvery: number,
): PackedCursor | null {
  let sinceLook = 0;
  // Keys found or added in this call, so in this transaction (a rollback cannot leave one naming nothing):
  // a write's batches of one tenant look its tenant and tests up once.
  const tenantKeys = new Map<string, number>();
  const seriesOf = new Map<number, Map<string, number>>();
  for (let b = from.batch; b < batches.length; b++) {
    const batch = batches[b];
    if (batch === undefined) continue;
    const resuming = b === from.batch && from.row > 0;
    if (!resuming && b > from.batch && shouldPause()) return { batch: b, row: 0, pendingFrom: null };
    const testIds = batch.count === 0 ? [] : batch.testIds.split('\n');
    const ts = batch.count === 0 ? [] : batch.ts.split('\n');
    const pendingFrom = resuming ? from.pendingFrom : null;
    let start = 0;
    if (resuming) start = from.row;
    else {
      let first: string | null = null;
      let last: string | null = null;
      for (const value of ts) {
        if (first === null || value < first) first = value;
        if (last === null || value > last) last = value;
      }
      const sealed = batch.sealed === null ? null : Buffer.from(batch.sealed.buffer, batch.sealed.byteOffset, batch.sealed.byteLength);
      const inserted = statements.insertBatch.run(batch.tenantId, batch.batchId, batch.agentId, batch.receivedAt, first, last, batch.count, batch.flowCount, batch.bytes, sealed);
      if (inserted.changes === 0) {
        outcome.duplicates.push(`${batch.tenantId}/${batch.batchId}`);
        if (statements.isPending.get(batch.tenantId, batch.batchId) !== undefined) outcome.waitsForPending = true;
        continue;
      }
    }
    const chunks = chunksOf(testIds, ts, batch.latencyMs, batch.ok);
    let tenantKey = tenantKeys.get(batch.tenantId) ?? 0;
    if (chunks.length > 0 && !tenantKeys.has(batch.tenantId)) {
      tenantKey = tenantKeyOf(statements.chunks, batch.tenantId);
      tenantKeys.set(batch.tenantId, tenantKey);
    }
    let series = seriesOf.get(tenantKey);
    if (series === undefined) {
      series = new Map();
      seriesOf.set(tenantKey, series);
    }
    let firstRowid = pendingFrom;
    let left = batch.count - chunks.slice(0, start).reduce((sum, chunk) => sum + chunk.results.length, 0);
    for (let c = start; c < chunks.length; c++) {
      // Pause only with a stretch still to write: a batch nearly done is quicker to finish.
      if (c > start && sinceLook >= pauseEvery && left >= pauseEvery) {
        sinceLook = 0;
        if (shouldPause()) {
          if (pendingFrom === null && firstRowid !== null) statements.markPending.run(firstRowid, batch.tenantId, batch.batchId);
          return { batch: b, row: c, pendingFrom: firstRowid };
        }
      }
      const chunk = chunks[c];
      if (chunk === undefined) continue;
      const rowid = insertChunk(statements.chunks, tenantKey, series, batch.batchId, chunk);
      if (c === 0) firstRowid = rowid;
      sinceLook += chunk.results.length;
      left -= chunk.results.length;
    }
    if (pendingFrom !== null) statements.clearPending.run(batch.tenantId, batch.batchId);
    const day = batch.receivedAt.slice(0, 10);
    if (batch.count > 0) statements.addUsage.run(batch.tenantId, day, 'results_ingested', batch.count);
    if (batch.flowCount > 0) statements.addUsage.run(batch.tenantId, day, 'flow_events', batch.flowCount);
    statements.addUsage.run(batch.tenantId, day, 'ingest_bytes', batch.bytes);
  }
  return null;
}
