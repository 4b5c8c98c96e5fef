import type Database from 'better-sqlite3';
import { COUNTER_LIST, GAUGE_LIST, carriedFromRows, retainedFromRow, retainedRows, tenantUsagePage, usageDayFromRow, usageTenantFromRow, type UsageTenantRow } from '../rows/usage-rows';
import type { TenantRef } from '../tenants';
import type { GaugeMeter, UsageReader, UsageWrites } from '../usage';
import { cachedStatement, done } from './connection';

/**
 * Usage meters on SQLite (see usage.ts): counters in the tenant's telemetry store (written by the
 * telemetry writer threads), gauges in its control store, deleted tenants' usage in the shared
 * control store. `telemetryOf` and `controlOf` open a live tenant's stores.
 */
export interface SqliteUsageStores {
  control: Database.Database;
  telemetryOf: (tenant: TenantRef) => Database.Database;
  controlOf: (tenant: TenantRef) => Database.Database;
}

const IDS = '(SELECT value FROM json_each(@ids))';

const countersSql = `SELECT tenant_id, meter, SUM(value) AS value FROM usage_counters
  WHERE tenant_id IN ${IDS} AND day >= @from AND day <= @to GROUP BY tenant_id, meter`;

/** A gauge's period value: the highest daily peak in the range, or the level carried in from the last day before it. */
const gaugesSql = (table: string) => `SELECT tenant_id, meter, MAX(v) AS value FROM (
    SELECT tenant_id, meter, value AS v FROM ${table} WHERE tenant_id IN ${IDS} AND meter IN (${GAUGE_LIST}) AND day >= @from AND day <= @to
    UNION ALL
    SELECT g.tenant_id, g.meter, g.level AS v FROM ${table} g WHERE g.tenant_id IN ${IDS} AND g.meter IN (${GAUGE_LIST})
      AND g.day = (SELECT MAX(h.day) FROM ${table} h WHERE h.tenant_id = g.tenant_id AND h.meter = g.meter AND h.day < @from)
  ) GROUP BY tenant_id, meter`;

const retainedCountersSql = `SELECT tenant_id, meter, SUM(value) AS value FROM usage_retained
  WHERE tenant_id IN ${IDS} AND meter IN (${COUNTER_LIST}) AND day >= @from AND day <= @to GROUP BY tenant_id, meter`;

const carriedSql = (table: string) => `SELECT g.meter, g.level FROM ${table} g WHERE g.tenant_id = @tenant AND g.meter IN (${GAUGE_LIST})
  AND g.day = (SELECT MAX(h.day) FROM ${table} h WHERE h.tenant_id = g.tenant_id AND h.meter = g.meter AND h.day < @from)`;

/** Records a gauge after a change in the caller's transaction: the day's level, and the day's peak when it is higher. */
export function recordGauge(db: Database.Database, tenantId: string, meter: GaugeMeter, table: 'agents' | 'probe_tests', at: string): void {
  cachedStatement(
    db,
    `INSERT INTO usage_gauges (tenant_id, meter, day, value, level)
     SELECT @tenant, @meter, @day, n, n FROM (SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = @tenant) WHERE true
     ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = max(value, excluded.level), level = excluded.level`,
  ).run({ tenant: tenantId, meter, day: at.slice(0, 10) });
}

export function sqliteUsageReader(stores: SqliteUsageStores): UsageReader {
  const { control } = stores;
  return {
    page(range, afterId, limit) {
      const tenants = control
        .prepare('SELECT id, slug, isolation_model, state FROM tenants WHERE id > @after AND substr(created_at, 1, 10) <= @to ORDER BY id LIMIT @limit')
        .all({ after: afterId ?? '', to: range.toDay, limit })
        .map(usageTenantFromRow);
      const bind = (rows: UsageTenantRow[]) => ({ ids: JSON.stringify(rows.map((row) => row.id)), from: range.fromDay, to: range.toDay });
      const live = tenants.filter((tenant) => tenant.state !== 'deleted');
      const deleted = tenants.filter((tenant) => tenant.state === 'deleted');
      const ref = (row: UsageTenantRow): TenantRef => ({ id: row.id, isolationModel: row.isolation_model });
      // One statement per store for the page: the pooled cells and the shared control store each
      // answer for all their tenants; a silo or a hybrid tenant's own file answers for one.
      const byStore = (of: (tenant: TenantRef) => Database.Database) => {
        const groups = new Map<Database.Database, UsageTenantRow[]>();
        for (const tenant of live) groups.set(of(ref(tenant)), [...(groups.get(of(ref(tenant))) ?? []), tenant]);
        return groups;
      };
      const totals: unknown[] = [];
      for (const [db, rows] of byStore(stores.telemetryOf)) totals.push(...db.prepare(countersSql).all(bind(rows)));
      for (const [db, rows] of byStore(stores.controlOf)) totals.push(...db.prepare(gaugesSql('usage_gauges')).all(bind(rows)));
      if (deleted.length > 0) {
        totals.push(...control.prepare(retainedCountersSql).all(bind(deleted)), ...control.prepare(gaugesSql('usage_retained')).all(bind(deleted)));
      }
      return Promise.resolve(tenantUsagePage(tenants, totals, limit));
    },
    days(tenant, range) {
      const values = { tenant: tenant.id, from: range.fromDay, to: range.toDay };
      const daily = (db: Database.Database, table: string, meters: string) =>
        db.prepare(`SELECT day, meter, value FROM ${table} WHERE tenant_id = @tenant AND meter IN (${meters}) AND day >= @from AND day <= @to ORDER BY day, meter`).all(values);
      if (tenant.state === 'deleted') {
        const rows = daily(control, 'usage_retained', `${COUNTER_LIST}, ${GAUGE_LIST}`);
        return Promise.resolve({ days: rows.map(usageDayFromRow), carried: carriedFromRows(control.prepare(carriedSql('usage_retained')).all(values)) });
      }
      const controlDb = stores.controlOf(tenant);
      const rows = [...daily(stores.telemetryOf(tenant), 'usage_counters', COUNTER_LIST), ...daily(controlDb, 'usage_gauges', GAUGE_LIST)];
      return Promise.resolve({ days: rows.map(usageDayFromRow), carried: carriedFromRows(controlDb.prepare(carriedSql('usage_gauges')).all(values)) });
    },
  };
}

/** Writes inside the caller's transaction (on the shared control store). */
export function sqliteUsageWrites(stores: SqliteUsageStores): UsageWrites {
  return {
    retainUsage(tenant, at) {
      // Committed counters only: the telemetry writer thread commits on its own connection.
      const counters = stores.telemetryOf(tenant).prepare(`SELECT meter, day, value, NULL AS level FROM usage_counters WHERE tenant_id = ?`).all(tenant.id).map(retainedFromRow);
      const gauges = stores.controlOf(tenant).prepare('SELECT meter, day, value, level FROM usage_gauges WHERE tenant_id = ?').all(tenant.id).map(retainedFromRow);
      const insert = stores.control.prepare(
        `INSERT INTO usage_retained (tenant_id, meter, day, value, level) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = excluded.value, level = excluded.level`,
      );
      for (const row of retainedRows(counters, gauges, at.slice(0, 10))) insert.run(tenant.id, row.meter, row.day, row.value, row.level);
      return done;
    },
  };
}
