import type Database from 'better-sqlite3';
import type { StoredBatch, TelemetryBatchWrite, TelemetryResultRow, TelemetryStore, TelemetryWindow, TenantRef, UsageMeter } from '../types';
import { dayOf, toBatch, type BatchRow } from '../rows/telemetry-rows';
import type { TestAggregate } from '../telemetry-store';
import { chunkAggregates, newestResults, oldestResults } from './chunk-reads';
import { packBatch, type PackedBatch } from './packed-telemetry';
import type { TelemetryWriterThread } from './telemetry-writer-thread';

/**
 * Telemetry on SQLite. `storeOf` names the file a tenant's telemetry lives in (its pooled
 * telemetry cell, a hybrid tenant's own, or a silo). Batches are written on writer threads (see
 * TelemetryWriterThread): one per pooled cell, another for every tenant's own store, so no commit
 * (an fsync) blocks this thread, and a tenant never waits for the commits of a file it is not in.
 * Results are stored in packed chunks (see telemetryChunks in tenant-tables.ts, chunk-reads.ts).
 * `writerOf` names the thread and the write lane (one per file group) of a tenant; `deleted` says
 * whether a tenant's telemetry is being removed (its late batches are dropped). This thread
 * only reads: usage meters are written on the writer threads too.
 */
export class SqliteTelemetry implements TelemetryStore {
  constructor(
    private readonly storeOf: (tenant: TenantRef) => Database.Database,
    private readonly writerOf: (tenant: TenantRef) => { lane: string; writer: TelemetryWriterThread },
    private readonly deleted: (tenant: TenantRef) => boolean = () => false,
  ) {}

  writeLane(tenant: TenantRef): string {
    return this.writerOf(tenant).lane;
  }

  async writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>> {
    const byStore = new Map<Database.Database, { writer: TelemetryWriterThread; batches: PackedBatch[] }>();
    for (const batch of batches) {
      // A batch admitted just before its tenant was deleted would be removed with the rest of its
      // telemetry; written after the removal, it would outlive the tenant.
      if (this.deleted(batch.tenant)) continue;
      // Opens (and migrates) the store on this thread first, so the writer thread only writes.
      const db = this.storeOf(batch.tenant);
      const group = byStore.get(db);
      if (group === undefined) byStore.set(db, { writer: this.writerOf(batch.tenant).writer, batches: [packBatch(batch)] });
      else group.batches.push(packBatch(batch));
    }
    // One transaction per store file: each commits (fsync) once for all the batches it holds.
    const written = await Promise.all([...byStore].map(([db, group]) => group.writer.write(db.name, group.batches)));
    return new Set(written.flat());
  }

  results(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): Promise<TelemetryResultRow[]> {
    return Promise.resolve(newestResults(this.storeOf(tenant), tenant.id, window, limit, before));
  }

  resultsForAnalysis(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<TelemetryResultRow[]> {
    return Promise.resolve(oldestResults(this.storeOf(tenant), tenant.id, window, limit));
  }

  aggregates(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<{ rows: number; tests: TestAggregate[] } | null> {
    return Promise.resolve(chunkAggregates(this.storeOf(tenant), tenant.id, window, limit));
  }

  batch(tenant: TenantRef, batchId: string): Promise<StoredBatch | null> {
    const row = this.storeOf(tenant)
      .prepare('SELECT batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, sealed FROM telemetry_batches WHERE tenant_id = ? AND batch_id = ? AND pending_from IS NULL')
      .get(tenant.id, batchId) as BatchRow | undefined;
    return Promise.resolve(row === undefined ? null : toBatch(row));
  }

  flowBatches(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { receivedAt: string; batchId: string }): Promise<StoredBatch[]> {
    const conditions = ['tenant_id = @tenant', 'pending_from IS NULL', 'flow_count > 0', 'received_at >= @from', 'received_at <= @to'];
    if (before !== undefined) conditions.push('(received_at, batch_id) < (@beforeAt, @beforeBatch)');
    const rows = this.storeOf(tenant)
      .prepare(
        `SELECT batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, sealed FROM telemetry_batches
         WHERE ${conditions.join(' AND ')} ORDER BY received_at DESC, batch_id DESC LIMIT @limit`,
      )
      .all({ tenant: tenant.id, from: window.from, to: window.to, beforeAt: before?.receivedAt, beforeBatch: before?.batchId, limit }) as BatchRow[];
    return Promise.resolve(rows.map(toBatch));
  }

  addUsage(tenant: TenantRef, meter: UsageMeter, value: number, at: string): Promise<void> {
    // On the writer thread: here, the write would wait for that thread's transaction in flight
    // with the event loop stopped (SQLite's busy handler sleeps), up to 100 ms under heavy ingest.
    return this.writerOf(tenant).writer.addUsage(this.storeOf(tenant).name, tenant.id, dayOf(at), meter, value);
  }

  usage(tenant: TenantRef, fromDay: string, toDay: string): Promise<{ day: string; meter: UsageMeter; value: number }[]> {
    const rows = this.storeOf(tenant)
      .prepare('SELECT day, meter, value FROM usage_counters WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day, meter')
      .all(tenant.id, fromDay, toDay) as { day: string; meter: UsageMeter; value: number }[];
    return Promise.resolve(rows);
  }
}
