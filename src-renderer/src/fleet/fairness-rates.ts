// The fairness overview's figures: the control plane answers counters since it started; two
// snapshots a poll apart give each tenant's admitted and shed units per second.
import { type TenantFairness } from '../../../contracts/fairness';

export type Snapshot = { at: number; items: readonly TenantFairness[] };
export type TenantRate = { tenant: TenantFairness; admitted: number | null; shed: number | null; lane_tenants: number };
export type SortKey = 'slug' | 'admitted' | 'shed' | 'lane';

/**
 * Each tenant of `current` with its rates since `previous` (null: no earlier snapshot of it, or a
 * counter went down because the control plane restarted) and how many tenants share its write lane.
 */
export function ratesOf(previous: Snapshot | null, current: Snapshot): TenantRate[] {
  const before = new Map(previous?.items.map((item) => [item.tenant_id, item]) ?? []);
  const seconds = previous === null ? 0 : (current.at - previous.at) / 1000;
  const lanes = new Map<string, number>();
  for (const item of current.items) lanes.set(item.write_lane, (lanes.get(item.write_lane) ?? 0) + 1);
  return current.items.map((tenant) => {
    const old = before.get(tenant.tenant_id);
    const admitted = old === undefined || seconds <= 0 ? null : (tenant.admitted_units - old.admitted_units) / seconds;
    const shed = old === undefined || seconds <= 0 ? null : (tenant.shed_units - old.shed_units) / seconds;
    const valid = admitted !== null && shed !== null && admitted >= 0 && shed >= 0;
    return { tenant, admitted: valid ? admitted : null, shed: valid ? shed : null, lane_tenants: lanes.get(tenant.write_lane) ?? 1 };
  });
}

/** Sorted by `key` (descending with `descending`); unknown rates last either way, then by slug. */
export function sortRates(rows: readonly TenantRate[], key: SortKey, descending: boolean): TenantRate[] {
  const value = (row: TenantRate): string | number | null => (key === 'slug' ? row.tenant.slug : key === 'lane' ? row.tenant.write_lane : key === 'admitted' ? row.admitted : row.shed);
  return [...rows].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    if (x === null || y === null) return x === y ? a.tenant.slug.localeCompare(b.tenant.slug) : x === null ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return (descending ? -order : order) || a.tenant.slug.localeCompare(b.tenant.slug);
  });
}

/** Write lanes shared by more than one tenant, most crowded first. */
export function sharedLanes(rows: readonly TenantRate[]): { lane: string; tenants: string[] }[] {
  const lanes = new Map<string, string[]>();
  for (const row of rows) lanes.set(row.tenant.write_lane, [...(lanes.get(row.tenant.write_lane) ?? []), row.tenant.slug]);
  return [...lanes.entries()]
    .filter(([, tenants]) => tenants.length > 1)
    .map(([lane, tenants]) => ({ lane, tenants: tenants.toSorted() }))
    .sort((a, b) => b.tenants.length - a.tenants.length || a.lane.localeCompare(b.lane));
}
