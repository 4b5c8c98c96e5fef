import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { type TenantFairness } from '../../../contracts/fairness';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { hrefFor } from '../router/hash-router';
import { ratesOf, sharedLanes, sortRates, type Snapshot, type SortKey } from './fairness-rates';
import './fleet.css';

/** How often every tenant's counters are read: the rates are the differences between two reads. */
export const OVERVIEW_POLL_MS = 3000;

const columns: readonly { key: SortKey; label: string }[] = [
  { key: 'slug', label: 'Tenant' },
  { key: 'admitted', label: 'Admitted (units/s)' },
  { key: 'shed', label: 'Shed (units/s)' },
  { key: 'lane', label: 'Write lane' },
];

const rate = (value: number | null) => (value === null ? '…' : value.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/**
 * Fairness overview: every live tenant's admitted and shed units per second, the write lane (SQLite
 * cell, PostgreSQL pool, or a store of its own) it shares with others, sortable, shed first.
 */
export function FairnessOverview() {
  const api = useApi();
  const overview = useQuery({
    queryKey: ['fleet', 'fairness'],
    queryFn: async (): Promise<Snapshot> => {
      const items: TenantFairness[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: TenantFairness[]; next_cursor: string | null } = await api.call('fairness:overview', cursor === null ? { limit: 1000 } : { limit: 1000, cursor });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return { at: Date.now(), items };
    },
    refetchInterval: OVERVIEW_POLL_MS,
  });
  const [snapshots, setSnapshots] = useState<{ previous: Snapshot | null; current: Snapshot | null }>({ previous: null, current: null });
  const data = overview.data;
  useEffect(() => {
    if (data !== undefined) setSnapshots((old) => (old.current === data ? old : { previous: old.current, current: data }));
  }, [data]);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'shed', descending: true });
  const rows = useMemo(() => (snapshots.current === null ? [] : sortRates(ratesOf(snapshots.previous, snapshots.current), sort.key, sort.descending)), [snapshots, sort]);
  const shared = useMemo(() => sharedLanes(rows), [rows]);

  return (
    <section aria-labelledby="fairness-heading">
      <h1 id="fairness-heading">Fairness</h1>
      <p className="lead">Every live tenant&apos;s admitted and shed ingest, per second over the last {OVERVIEW_POLL_MS / 1000} s, and the write lanes they share.</p>
      {overview.isError ? <FormAlert title="Fairness could not be read" messages={[describeError(overview.error)]} onDismiss={() => void overview.refetch()} /> : null}
      {overview.isPending ? (
        <p className="muted" role="status">
          Reading every tenant&apos;s counters…
        </p>
      ) : null}
      {snapshots.current !== null && rows.length === 0 ? (
        <p className="muted">
          No live tenants yet. <a href={hrefFor('/tenants')}>Create one</a> to see its fairness here.
        </p>
      ) : null}
      {rows.length > 0 ? (
        <>
          <p className="muted" data-testid="fairness-lanes">
            {shared.length === 0 ? 'No write lane is shared: every tenant writes in a lane of its own.' : `Shared write lanes: ${shared.map((lane) => `${lane.lane} (${lane.tenants.length} tenants)`).join(', ')}.`}
          </p>
          <table className="table fleet-table" data-testid="fairness-overview">
            <caption className="visually-hidden">Fairness of every live tenant, sorted by {sort.key}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.key} scope="col" aria-sort={sort.key === column.key ? (sort.descending ? 'descending' : 'ascending') : undefined} className={column.key === 'admitted' || column.key === 'shed' ? 'numeric' : undefined}>
                    <button type="button" className="sort-button" onClick={() => setSort((old) => ({ key: column.key, descending: old.key === column.key ? !old.descending : column.key !== 'slug' && column.key !== 'lane' }))}>
                      {column.label}
                      {sort.key === column.key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                    </button>
                  </th>
                ))}
                <th scope="col" className="numeric">
                  Limit (units/s)
                </th>
                <th scope="col" className="numeric">
                  Queue
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.tenant.tenant_id} data-slug={row.tenant.slug}>
                  <td>
                    <a href={hrefFor(`/tenants/${row.tenant.slug}/quotas`)}>{row.tenant.slug}</a>
                  </td>
                  <td className="numeric">{rate(row.admitted)}</td>
                  <td className={row.shed !== null && row.shed > 0 ? 'numeric shedding' : 'numeric'}>{rate(row.shed)}</td>
                  <td>
                    <code>{row.tenant.write_lane}</code>
                    {row.lane_tenants > 1 ? <span className="muted"> shared by {row.lane_tenants}</span> : null}
                  </td>
                  <td className="numeric">{row.tenant.ingest_rate_per_sec.toLocaleString('en-US')}</td>
                  <td className="numeric">{row.tenant.queue_depth}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
