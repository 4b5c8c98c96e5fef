import type pg from 'pg';
import { COUNTER_LIST, GAUGE_LIST, carriedFromRows, retainedFromRow, retainedRows, tenantUsagePage, usageDayFromRow, usageTenantFromRow } from '../rows/usage-rows';
import type { TenantRef } from '../tenants';
import type { GaugeMeter, UsageReader, UsageWrites } from '../usage';
import { telemetrySchema } from './postgres-telemetry';
import { asProvider, enterTenant, lockTenantWrites, readAs, tenantSchema, type Queryable, type Row } from './tenant-context';

/**
 * Usage meters on PostgreSQL (see usage.ts): counters beside the tenant's telemetry (bh, or its own
 * schema), gauges and deleted tenants' usage in bh for every model (one database: a gauge commits
 * with the agent or test it counts, wherever that lives). The export reads across tenants on the
 * provider plane: bh's usage tables have a SELECT-only `provider_read` policy; an own schema's
 * counters are read in that tenant's context.
 */

const countersSql = (schema: string, ids: string) => `SELECT tenant_id::text AS tenant_id, meter, SUM(value) AS value FROM ${schema}.usage_counters
  WHERE tenant_id = ${ids} AND day >= $2 AND day <= $3 GROUP BY tenant_id, meter`;

/** A gauge's period value: the highest daily peak in the range, or the level carried in from the last day before it. */
const gaugesSql = (table: string) => `SELECT tenant_id::text AS tenant_id, meter, MAX(v) AS value FROM (
    SELECT tenant_id, meter, value AS v FROM ${table} WHERE tenant_id = ANY($1::uuid[]) AND meter IN (${GAUGE_LIST}) AND day >= $2 AND day <= $3
    UNION ALL
    SELECT g.tenant_id, g.meter, g.level AS v FROM ${table} g WHERE g.tenant_id = ANY($1::uuid[]) AND g.meter IN (${GAUGE_LIST})
      AND g.day = (SELECT MAX(h.day) FROM ${table} h WHERE h.tenant_id = g.tenant_id AND h.meter = g.meter AND h.day < $2)
  ) AS periods GROUP BY tenant_id, meter`;

const retainedCountersSql = `SELECT tenant_id::text AS tenant_id, meter, SUM(value) AS value FROM bh.usage_retained
  WHERE tenant_id = ANY($1::uuid[]) AND meter IN (${COUNTER_LIST}) AND day >= $2 AND day <= $3 GROUP BY tenant_id, meter`;

const carriedSql = (table: string) => `SELECT g.meter, g.level FROM ${table} g WHERE g.tenant_id = $1 AND g.meter IN (${GAUGE_LIST})
  AND g.day = (SELECT MAX(h.day) FROM ${table} h WHERE h.tenant_id = g.tenant_id AND h.meter = g.meter AND h.day < $2)`;

/** Records a gauge after a change, in the caller's transaction and tenant context: the day's level, and its peak when higher. */
export async function recordGauge(client: Queryable, tenant: TenantRef, meter: GaugeMeter, countedTable: string, at: string): Promise<void> {
  await client.query(
    `INSERT INTO bh.usage_gauges (tenant_id, meter, day, value, level)
     SELECT $1, $2, $3, n, n FROM (SELECT COUNT(*) AS n FROM ${countedTable} WHERE tenant_id = $1) AS counted
     ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = GREATEST(usage_gauges.value, excluded.level), level = excluded.level`,
    [tenant.id, meter, at.slice(0, 10)],
  );
}

export function postgresUsageReader(pool: pg.Pool): UsageReader {
  return {
    page: (range, afterId, limit) =>
      asProvider(pool, async (client) => {
        const { rows } = await client.query<Row>(
          `SELECT id::text AS id, slug, isolation_model, state FROM bh.tenants WHERE id::text > $1 AND substr(created_at, 1, 10) <= $2 ORDER BY id::text LIMIT $3`,
          [afterId ?? '', range.toDay, limit],
        );
        const tenants = rows.map(usageTenantFromRow);
        const live = tenants.filter((tenant) => tenant.state !== 'deleted');
        const deleted = tenants.filter((tenant) => tenant.state === 'deleted').map((tenant) => tenant.id);
        const pooled = live.filter((tenant) => tenant.isolation_model === 'pooled').map((tenant) => tenant.id);
        const totals: Row[] = [];
        const add = async (sql: string, ids: string[]) => {
          if (ids.length > 0) totals.push(...(await client.query<Row>(sql, [ids, range.fromDay, range.toDay])).rows);
        };
        await add(countersSql('bh', 'ANY($1::uuid[])'), pooled);
        await add(gaugesSql('bh.usage_gauges'), live.map((tenant) => tenant.id));
        await add(retainedCountersSql, deleted);
        await add(gaugesSql('bh.usage_retained'), deleted);
        // An own schema's counters open only in its tenant's context: one statement per such tenant.
        for (const tenant of live.filter((row) => row.isolation_model !== 'pooled')) {
          await enterTenant(client, tenant.id);
          totals.push(...(await client.query<Row>(countersSql(tenantSchema(tenant.id), '$1::uuid'), [tenant.id, range.fromDay, range.toDay])).rows);
        }
        return tenantUsagePage(tenants, totals, limit);
      }),
    days: (tenant, range) =>
      readAs(pool, tenant.id, async (client) => {
        const daily = async (table: string, meters: string) =>
          (await client.query<Row>(`SELECT day, meter, value FROM ${table} WHERE tenant_id = $1 AND meter IN (${meters}) AND day >= $2 AND day <= $3 ORDER BY day, meter`, [tenant.id, range.fromDay, range.toDay])).rows;
        const carried = async (table: string) => carriedFromRows((await client.query<Row>(carriedSql(table), [tenant.id, range.fromDay])).rows);
        if (tenant.state === 'deleted') {
          return { days: (await daily('bh.usage_retained', `${COUNTER_LIST}, ${GAUGE_LIST}`)).map(usageDayFromRow), carried: await carried('bh.usage_retained') };
        }
        const rows = [...(await daily(`${telemetrySchema(tenant)}.usage_counters`, COUNTER_LIST)), ...(await daily('bh.usage_gauges', GAUGE_LIST))];
        return { days: rows.map(usageDayFromRow), carried: await carried('bh.usage_gauges') };
      }),
  };
}

/** Writes inside the caller's transaction, in the tenant's context. */
export function postgresUsageWrites(client: pg.PoolClient): UsageWrites {
  return {
    retainUsage: async (tenant, at) => {
      await enterTenant(client, tenant.id);
      // Batches being written now are counted below; later ones bill themselves to usage_retained.
      await lockTenantWrites(client, tenant.id);
      const counters = (await client.query<Row>(`SELECT meter, day, value, NULL::bigint AS level FROM ${telemetrySchema(tenant)}.usage_counters WHERE tenant_id = $1`, [tenant.id])).rows.map(retainedFromRow);
      const gauges = (await client.query<Row>('SELECT meter, day, value, level FROM bh.usage_gauges WHERE tenant_id = $1', [tenant.id])).rows.map(retainedFromRow);
      const rows = retainedRows(counters, gauges, at.slice(0, 10));
      if (rows.length === 0) return;
      await client.query(
        `INSERT INTO bh.usage_retained (tenant_id, meter, day, value, level)
         SELECT $1::uuid, r.meter, r.day, r.value, r.level FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS r(meter, day, value, level)
         ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = excluded.value, level = excluded.level`,
        [tenant.id, rows.map((row) => row.meter), rows.map((row) => row.day), rows.map((row) => row.value), rows.map((row) => row.level)],
      );
    },
  };
}
