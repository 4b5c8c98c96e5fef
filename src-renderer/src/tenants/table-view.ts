// The tenants table's view lives in the URL (`#/tenants?state=all&sort=-shed&q=acme`): a view can be
// bookmarked, shared and reloaded, and Back returns to the previous one.
import { type IsolationModel, type TenantState, type TenantSummary } from '../../../contracts/tenants';
import { type RouteQuery } from '../router/hash-router';

export const columnIds = ['slug', 'name', 'isolation', 'residency', 'state', 'plan', 'agents', 'users', 'results', 'shed'] as const;
export type ColumnId = (typeof columnIds)[number];

/** `live` (the default): every tenant but deleted ones. */
export type StateFilter = 'live' | 'all' | TenantState;
const stateFilters: readonly StateFilter[] = ['live', 'all', 'active', 'suspended', 'deleted'];
const isolations: readonly IsolationModel[] = ['pooled', 'siloed', 'hybrid'];

export type TableView = {
  state: StateFilter;
  isolation: IsolationModel | null;
  /** Searched in slug, name, plan and residency. */
  search: string;
  sort: { id: ColumnId; desc: boolean } | null;
};

export const defaultView: TableView = { state: 'live', isolation: null, search: '', sort: null };

/** The view a URL's query names; a value it does not know falls back to the default, never an error. */
export function viewFromQuery(query: Readonly<Record<string, string>>): TableView {
  const state = stateFilters.find((value) => value === query.state) ?? 'live';
  const isolation = isolations.find((value) => value === query.isolation) ?? null;
  const sortText = query.sort ?? '';
  const desc = sortText.startsWith('-');
  const sortId = columnIds.find((id) => id === (desc ? sortText.slice(1) : sortText));
  return { state, isolation, search: (query.q ?? '').slice(0, 200), sort: sortId === undefined ? null : { id: sortId, desc } };
}

/** The URL query of a view: defaults are left out, so the plain table is plain `#/tenants`. */
export function queryFromView(view: TableView): RouteQuery {
  return {
    state: view.state === 'live' ? undefined : view.state,
    isolation: view.isolation ?? undefined,
    q: view.search.trim() === '' ? undefined : view.search,
    sort: view.sort === null ? undefined : `${view.sort.desc ? '-' : ''}${view.sort.id}`,
  };
}

/** Whether a tenant is shown under the view's state and isolation filters (search is the table's). */
export function passesFilters(tenant: TenantSummary, view: Pick<TableView, 'state' | 'isolation'>): boolean {
  const stateOk = view.state === 'all' ? true : view.state === 'live' ? tenant.state !== 'deleted' : tenant.state === view.state;
  return stateOk && (view.isolation === null || tenant.isolation_model === view.isolation);
}

/** What the search box matches: slug, name, plan and residency, case-insensitively. */
export function matchesSearch(tenant: TenantSummary, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === '') return true;
  return [tenant.slug, tenant.name, tenant.plan ?? '', tenant.residency ?? ''].some((value) => value.toLowerCase().includes(needle));
}
