import type pg from 'pg';
import type { StoredBatch, TelemetryBatchWrite, TelemetryResultRow, TelemetryStore, TelemetryWindow, TenantRef, UsageMeter } from '../types';
import { enterTenant, enterTenantForIngest, inTransaction, tenantSchema, type Queryable } from './tenant-context';
import { BATCH_COLUMNS, dayOf, span, toBatch, type BatchRow } from '../rows/telemetry-rows';
import type { TestAggregate } from '../telemetry-store';
import { chunksOf } from '../telemetry-chunk-split';
import { aggregateWalk, newestWalk, oldestWalk } from '../telemetry-chunk-walks';
import { insertChunks, runWalk } from './postgres-chunks';

/** The schema holding a tenant's telemetry: bh when pooled, its own schema when hybrid or siloed. */
export function telemetrySchema(tenant: TenantRef): string {
  return tenant.isolationModel === 'pooled' ? 'bh' : tenantSchema(tenant.id);
}

/** Usage to add per `day/meter`, summed over a tenant's stored batches. */
type UsageDelta = Map<string, { day: string; meter: UsageMeter; value: number }>;

function countUsage(delta: UsageDelta, day: string, meter: UsageMeter, value: number): void {
  const key = `${day}/${meter}`;
  const entry = delta.get(key);
  if (entry === undefined) delta.set(key, { day, meter, value });
  else entry.value += value;
}

/** Adds usage in one statement; the rows must be distinct (day, meter) pairs. */
async function addUsageRows(client: Queryable, schema: string, tenantId: string, rows: { day: string; meter: UsageMeter; value: number }[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO ${schema}.usage_counters (tenant_id, day, meter, value)
     SELECT $1::uuid, u.day, u.meter, u.value FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(day, meter, value)
     ON CONFLICT (tenant_id, day, meter) DO UPDATE SET value = usage_counters.value + excluded.value`,
    [tenantId, rows.map((row) => row.day), rows.map((row) => row.meter), rows.map((row) => row.value)],
  );
}

/** Adds a deleted tenant's late usage to what its deletion retained for billing. */
async function addRetainedUsage(client: Queryable, tenantId: string, rows: { day: string; meter: UsageMeter; value: number }[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO bh.usage_retained (tenant_id, day, meter, value, level)
     SELECT $1::uuid, u.day, u.meter, u.value, NULL FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(day, meter, value)
     ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = usage_retained.value + excluded.value`,
    [tenantId, rows.map((row) => row.day), rows.map((row) => row.meter), rows.map((row) => row.value)],
  );
}

/** Orders by tenant, then batch id; stable, so of two batches with one id the first given still wins. */
function lockOrder(a: TelemetryBatchWrite, b: TelemetryBatchWrite): number {
  if (a.tenant.id !== b.tenant.id) return a.tenant.id < b.tenant.id ? -1 : 1;
  if (a.batchId !== b.batchId) return a.batchId < b.batchId ? -1 : 1;
  return 0;
}

/**
 * Telemetry on PostgreSQL. Every statement runs in a transaction that has set the tenant's context,
 * and binds the tenant's id too, so row-level security and the query agree on whose rows these are.
 * Results are stored in packed per-test chunks (postgres-chunks.ts), written in the batch's
 * transaction, read by the walks both engines share (../telemetry-chunk-walks.ts).
 */
export class PostgresTelemetry implements TelemetryStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Pooled tenants share the pooled tables' lane; a tenant with its own schema has its own. */
  writeLane(tenant: TenantRef): string {
    return tenant.isolationModel === 'pooled' ? 'pooled' : `own:${tenant.id}`;
  }

  /** A read-only transaction in the tenant's context. */
  private read<T>(tenant: TenantRef, fn: (client: Queryable, schema: string) => Promise<T>): Promise<T> {
    const schema = telemetrySchema(tenant);
    return inTransaction(this.pool, 'read only', async (client) => {
      await enterTenant(client, tenant.id);
      return fn(client, schema);
    });
  }

  writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>> {
    const duplicates = new Set<string>();
    if (batches.length === 0) return Promise.resolve(duplicates);
    // Rows are locked in one global order (tenant, batch id, then the tenant's usage rows), so two
    // replicas writing batches of the same tenants cannot deadlock each other.
    const ordered = [...batches].sort(lockOrder);
    return inTransaction(this.pool, 'read write', async (client) => {
      let start = 0;
      while (start < ordered.length) {
        const tenant = ordered[start]?.tenant;
        if (tenant === undefined) break;
        let end = start;
        while (end < ordered.length && ordered[end]?.tenant.id === tenant.id) end++;
        const group = ordered.slice(start, end);
        start = end;

        const schema = telemetrySchema(tenant);
        const { deleted } = await enterTenantForIngest(client, tenant.id);
        const usage: UsageDelta = new Map();
        for (const batch of group) {
          // A tenant deleted after these batches passed their checks: its data is shredded, so none is
          // stored, but what the agent is told was accepted is still billed.
          if (deleted || (await this.writeOne(client, schema, batch))) {
            const day = dayOf(batch.receivedAt);
            const count = batch.testIds.length;
            if (count > 0) countUsage(usage, day, 'results_ingested', count);
            if (batch.flowCount > 0) countUsage(usage, day, 'flow_events', batch.flowCount);
            countUsage(usage, day, 'ingest_bytes', batch.bytes);
          } else {
            duplicates.add(`${tenant.id}/${batch.batchId}`);
          }
        }
        const rows = [...usage.values()].sort((a, b) => (a.day === b.day ? (a.meter < b.meter ? -1 : 1) : a.day < b.day ? -1 : 1));
        if (deleted) await addRetainedUsage(client, tenant.id, rows);
        else await addUsageRows(client, schema, tenant.id, rows);
      }
      return duplicates;
    });
  }

  /** False when the tenant already stored this batch id (nothing is written). */
  private async writeOne(client: Queryable, schema: string, batch: TelemetryBatchWrite): Promise<boolean> {
    const tenantId = batch.tenant.id;
    const count = batch.testIds.length;
    const ts = batch.ts.slice(0, count);
    const { first, last } = span(ts);
    const inserted = await client.query(
      `INSERT INTO ${schema}.telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, batch_id) DO NOTHING RETURNING batch_id`,
      [tenantId, batch.batchId, batch.agentId, batch.receivedAt, first, last, count, batch.flowCount, batch.bytes, batch.sealed],
    );
    if (inserted.rows.length === 0) {
      return false;
    }
    // One statement for the whole batch: its chunks (see postgres-chunks.ts).
    const latencies = Float64Array.from({ length: count }, (_, i) => batch.latencyMs[i] ?? Number.NaN);
    const ok = Uint8Array.from({ length: count }, (_, i) => (batch.ok[i] === true ? 1 : 0));
    await insertChunks(client, schema, tenantId, batch.batchId, chunksOf(batch.testIds, ts, latencies, ok));
    return true;
  }

  results(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): Promise<TelemetryResultRow[]> {
    return this.read(tenant, (client, schema) => runWalk(client, schema, tenant.id, window.testId, newestWalk(window, limit, before)));
  }

  resultsForAnalysis(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<TelemetryResultRow[]> {
    return this.read(tenant, (client, schema) => runWalk(client, schema, tenant.id, window.testId, oldestWalk(window, limit)));
  }

  aggregates(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<{ rows: number; tests: TestAggregate[] } | null> {
    return this.read(tenant, (client, schema) => runWalk(client, schema, tenant.id, window.testId, aggregateWalk(window, limit)));
  }

  batch(tenant: TenantRef, batchId: string): Promise<StoredBatch | null> {
    return this.read(tenant, async (client, schema) => {
      const row = (await client.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM ${schema}.telemetry_batches WHERE tenant_id = $1 AND batch_id = $2`, [tenant.id, batchId])).rows[0];
      return row === undefined ? null : toBatch(row);
    });
  }

  flowBatches(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { receivedAt: string; batchId: string }): Promise<StoredBatch[]> {
    return this.read(tenant, async (client, schema) => {
      const values: unknown[] = [tenant.id, window.from, window.to];
      const conditions = ['tenant_id = $1', 'flow_count > 0', 'received_at >= $2', 'received_at <= $3'];
      if (before !== undefined) {
        values.push(before.receivedAt, before.batchId);
        conditions.push(`(received_at, batch_id) < ($${values.length - 1}, $${values.length})`);
      }
      values.push(limit);
      const { rows } = await client.query<BatchRow>(
        `SELECT ${BATCH_COLUMNS} FROM ${schema}.telemetry_batches WHERE ${conditions.join(' AND ')} ORDER BY received_at DESC, batch_id DESC LIMIT $${values.length}`,
        values,
      );
      return rows.map(toBatch);
    });
  }

  addUsage(tenant: TenantRef, meter: UsageMeter, value: number, at: string): Promise<void> {
    const schema = telemetrySchema(tenant);
    return inTransaction(this.pool, 'read write', async (client) => {
      await enterTenant(client, tenant.id);
      await addUsageRows(client, schema, tenant.id, [{ day: dayOf(at), meter, value }]);
    });
  }

  usage(tenant: TenantRef, fromDay: string, toDay: string): Promise<{ day: string; meter: UsageMeter; value: number }[]> {
    return this.read(tenant, async (client, schema) => {
      const { rows } = await client.query<{ day: string; meter: UsageMeter; value: string }>(
        `SELECT day, meter, value FROM ${schema}.usage_counters WHERE tenant_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, meter`,
        [tenant.id, fromDay, toDay],
      );
      // bigint arrives as a string (it may exceed 2^53; a meter's daily count does not).
      return rows.map((row) => ({ day: row.day, meter: row.meter, value: Number(row.value) }));
    });
  }
}
