import { z } from 'zod';
import { TenantState } from '../../../contracts/tenants';
import { COUNTER_METERS, GAUGE_METERS, type Meter, type UsageDay, type UsagePage } from '../usage';
import { integer, optionalInteger, text } from './columns';

/** Usage rows as both engines answer them (PostgreSQL: bigint and SUM as strings, uuid as text). */
const meter = z.enum([...COUNTER_METERS, ...GAUGE_METERS]);
const totalRow = z.object({ tenant_id: text, meter, value: integer });
const dayRow = z.object({ day: text, meter, value: integer });
const levelRow = z.object({ meter: z.enum(GAUGE_METERS), level: integer });
const retainedRow = z.object({ meter, day: text, value: integer, level: optionalInteger });
const tenantRow = z.object({ id: text, slug: text, isolation_model: z.enum(['pooled', 'siloed', 'hybrid']), state: TenantState });

export type UsageTenantRow = z.infer<typeof tenantRow>;
export type RetainedRow = z.infer<typeof retainedRow>;

/** SQL of the meters, quoted, for IN lists of both engines. */
export const COUNTER_LIST = COUNTER_METERS.map((name) => `'${name}'`).join(', ');
export const GAUGE_LIST = GAUGE_METERS.map((name) => `'${name}'`).join(', ');

export const usageTenantFromRow = (row: unknown): UsageTenantRow => tenantRow.parse(row);
export const usageDayFromRow = (row: unknown): UsageDay => dayRow.parse(row);
export const retainedFromRow = (row: unknown): RetainedRow => retainedRow.parse(row);

/** Carried gauge levels from `(meter, level)` rows. */
export function carriedFromRows(rows: readonly unknown[]): Partial<Record<(typeof GAUGE_METERS)[number], number>> {
  return Object.fromEntries(rows.map((row) => levelRow.parse(row)).map((row) => [row.meter, row.level]));
}

/**
 * A page of tenants with their period values, from `(tenant_id, meter, value)` total rows (counters
 * already summed, gauges already at their peak; a tenant's meters come from one place each).
 * Deleted tenants with no usage in the period are left out: they had nothing to bill. `limit`:
 * the page size asked for (a full page may have more after it).
 */
export function tenantUsagePage(tenants: readonly UsageTenantRow[], totals: readonly unknown[], limit: number): UsagePage {
  const values = new Map<string, Partial<Record<Meter, number>>>();
  for (const row of totals.map((total) => totalRow.parse(total))) {
    if (row.value === 0) continue;
    const own = values.get(row.tenant_id) ?? {};
    own[row.meter] = row.value;
    values.set(row.tenant_id, own);
  }
  const usage = tenants
    .map((tenant) => ({ tenantId: tenant.id, slug: tenant.slug, state: tenant.state, values: values.get(tenant.id) ?? {} }))
    .filter((tenant) => tenant.state !== 'deleted' || Object.keys(tenant.values).length > 0);
  return { usage, next: tenants.length < limit ? null : (tenants.at(-1)?.id ?? null) };
}

/**
 * The rows that keep a deleted tenant's usage: its counters' days as they were, its gauges' days
 * as they were, and the gauges ending at 0 on the day of the deletion (the day's peak kept).
 */
export function retainedRows(counters: readonly RetainedRow[], gauges: readonly RetainedRow[], deletedDay: string): RetainedRow[] {
  const rows = [...counters.map((row) => ({ ...row, level: null })), ...gauges.filter((row) => row.day <= deletedDay)];
  for (const gauge of GAUGE_METERS) {
    const own = gauges.filter((row) => row.meter === gauge && row.day <= deletedDay).sort((a, b) => (a.day < b.day ? -1 : 1));
    const last = own.at(-1);
    if (last === undefined) continue;
    const index = rows.findIndex((row) => row.meter === gauge && row.day === deletedDay);
    const level = last.level ?? 0;
    if (index >= 0) rows[index] = { meter: gauge, day: deletedDay, value: Math.max(rows[index]?.value ?? 0, level), level: 0 };
    else rows.push({ meter: gauge, day: deletedDay, value: level, level: 0 });
  }
  return rows;
}
