import type Database from 'better-sqlite3';
import type { StoredBatch, TelemetryBatchWrite, TelemetryResultRow, TelemetryStore, TelemetryWindow, TenantRef, UsageMeter } from '../types';
import { dayOf, span, toBatch, toResult, type BatchRow, type ResultRow } from '../telemetry-rows';

/** Statements prepared once per store connection (ingest runs them hundreds of thousands of times a second). */
interface Prepared {
  insertBatch: Database.Statement;
  insertResult: Database.Statement;
  addUsage: Database.Statement;
}

/**
 * Telemetry on SQLite. `storeOf` names the file a tenant's telemetry lives in (the pooled
 * telemetry store, a hybrid tenant's own, or a silo); `exclusive` runs writes where no other
 * transaction of this process is open on the same connection.
 */
export class SqliteTelemetry implements TelemetryStore {
  private readonly prepared = new WeakMap<Database.Database, Prepared>();

  constructor(
    private readonly storeOf: (tenant: TenantRef) => Database.Database,
    private readonly exclusive: <T>(fn: () => T) => Promise<T>,
  ) {}

  private statements(db: Database.Database): Prepared {
    let prepared = this.prepared.get(db);
    if (prepared === undefined) {
      prepared = {
        insertBatch: db.prepare(
          `INSERT INTO telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, batch_id) DO NOTHING`,
        ),
        insertResult: db.prepare('INSERT INTO telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?)'),
        addUsage: db.prepare('INSERT INTO usage_counters (tenant_id, day, meter, value) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, day, meter) DO UPDATE SET value = value + excluded.value'),
      };
      this.prepared.set(db, prepared);
    }
    return prepared;
  }

  writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>> {
    return this.exclusive(() => {
      const byStore = new Map<Database.Database, TelemetryBatchWrite[]>();
      for (const batch of batches) {
        const db = this.storeOf(batch.tenant);
        const group = byStore.get(db);
        if (group === undefined) byStore.set(db, [batch]);
        else group.push(batch);
      }
      const duplicates = new Set<string>();
      // One transaction per store file: each commits (fsync) once for all the batches it holds.
      for (const [db, group] of byStore) {
        const statements = this.statements(db);
        db.transaction(() => {
          for (const batch of group) {
            if (!this.writeOne(statements, batch)) {
              duplicates.add(`${batch.tenant.id}/${batch.batchId}`);
            }
          }
        }).immediate();
      }
      return duplicates;
    });
  }

  /** False when the tenant already stored this batch id (nothing is written). */
  private writeOne(statements: Prepared, batch: TelemetryBatchWrite): boolean {
    const tenantId = batch.tenant.id;
    const { first, last } = span(batch.ts);
    const count = batch.testIds.length;
    const inserted = statements.insertBatch.run(tenantId, batch.batchId, batch.agentId, batch.receivedAt, first, last, count, batch.flowCount, batch.bytes, batch.sealed);
    if (inserted.changes === 0) {
      return false;
    }
    const insert = statements.insertResult;
    for (let i = 0; i < count; i++) {
      insert.run(tenantId, batch.testIds[i], batch.ts[i], batch.latencyMs[i], batch.ok[i] === true ? 1 : 0, batch.batchId, i);
    }
    const day = dayOf(batch.receivedAt);
    if (count > 0) statements.addUsage.run(tenantId, day, 'results_ingested', count);
    if (batch.flowCount > 0) statements.addUsage.run(tenantId, day, 'flow_events', batch.flowCount);
    statements.addUsage.run(tenantId, day, 'ingest_bytes', batch.bytes);
    return true;
  }

  results(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): Promise<TelemetryResultRow[]> {
    const db = this.storeOf(tenant);
    const conditions = ['tenant_id = @tenant', 'ts >= @from', 'ts <= @to'];
    if (window.testId !== undefined) conditions.push('test_id = @testId');
    if (before !== undefined) conditions.push('(ts, batch_id, idx) < (@beforeTs, @beforeBatch, @beforeIdx)');
    const rows = db
      .prepare(`SELECT test_id, ts, latency_ms, ok, batch_id, idx FROM telemetry_results WHERE ${conditions.join(' AND ')} ORDER BY ts DESC, batch_id DESC, idx DESC LIMIT @limit`)
      .all({ tenant: tenant.id, from: window.from, to: window.to, testId: window.testId, beforeTs: before?.ts, beforeBatch: before?.batchId, beforeIdx: before?.idx, limit }) as ResultRow[];
    return Promise.resolve(rows.map(toResult));
  }

  resultsForAnalysis(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<TelemetryResultRow[]> {
    const db = this.storeOf(tenant);
    const byTest = window.testId === undefined ? '' : ' AND test_id = @testId';
    const rows = db
      .prepare(`SELECT test_id, ts, latency_ms, ok, batch_id, idx FROM telemetry_results WHERE tenant_id = @tenant AND ts >= @from AND ts <= @to${byTest} ORDER BY ts LIMIT @limit`)
      .all({ tenant: tenant.id, from: window.from, to: window.to, testId: window.testId, limit }) as ResultRow[];
    return Promise.resolve(rows.map(toResult));
  }

  batch(tenant: TenantRef, batchId: string): Promise<StoredBatch | null> {
    const row = this.storeOf(tenant)
      .prepare('SELECT batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, sealed FROM telemetry_batches WHERE tenant_id = ? AND batch_id = ?')
      .get(tenant.id, batchId) as BatchRow | undefined;
    return Promise.resolve(row === undefined ? null : toBatch(row));
  }

  flowBatches(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { receivedAt: string; batchId: string }): Promise<StoredBatch[]> {
    const conditions = ['tenant_id = @tenant', 'flow_count > 0', 'received_at >= @from', 'received_at <= @to'];
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
    return this.exclusive(() => {
      this.statements(this.storeOf(tenant)).addUsage.run(tenant.id, dayOf(at), meter, value);
    });
  }

  usage(tenant: TenantRef, fromDay: string, toDay: string): Promise<{ day: string; meter: UsageMeter; value: number }[]> {
    const rows = this.storeOf(tenant)
      .prepare('SELECT day, meter, value FROM usage_counters WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day, meter')
      .all(tenant.id, fromDay, toDay) as { day: string; meter: UsageMeter; value: number }[];
    return Promise.resolve(rows);
  }
}
