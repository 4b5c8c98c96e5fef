import { describe, expect, it } from 'vitest';
import { type TenantSummary } from '../../../contracts/tenants';
import { defaultView, matchesSearch, passesFilters, queryFromView, viewFromQuery } from './table-view';

const tenant = (overrides: Partial<TenantSummary> = {}): TenantSummary => ({
  id: '0b6f8f5e-1d2c-4b3a-9e8f-7a6b5c4d3e2f',
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'pooled',
  residency: 'eu',
  plan: 'gold',
  state: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  agents: 1,
  users: 2,
  results_this_month: 3,
  shed_rate: null,
  ...overrides,
});

describe('the tenants table view in the URL', () => {
  it('reads a view from the query and writes it back, leaving defaults out', () => {
    const view = viewFromQuery({ state: 'suspended', isolation: 'siloed', q: 'acme', sort: '-shed' });
    expect(view).toEqual({ state: 'suspended', isolation: 'siloed', search: 'acme', sort: { id: 'shed', desc: true } });
    expect(queryFromView(view)).toEqual({ state: 'suspended', isolation: 'siloed', q: 'acme', sort: '-shed' });
    expect(queryFromView(defaultView)).toEqual({ state: undefined, isolation: undefined, q: undefined, sort: undefined });
    expect(viewFromQuery({ sort: 'agents' }).sort).toEqual({ id: 'agents', desc: false });
  });

  it('falls back to the default for values it does not know', () => {
    expect(viewFromQuery({ state: 'gone', isolation: 'cloud', sort: '-password' })).toEqual(defaultView);
  });

  it('hides deleted tenants by default; `all` and `deleted` show them', () => {
    const deleted = tenant({ state: 'deleted' });
    expect(passesFilters(deleted, defaultView)).toBe(false);
    expect(passesFilters(deleted, { ...defaultView, state: 'all' })).toBe(true);
    expect(passesFilters(deleted, { ...defaultView, state: 'deleted' })).toBe(true);
    expect(passesFilters(tenant(), { ...defaultView, state: 'deleted' })).toBe(false);
    expect(passesFilters(tenant(), { ...defaultView, isolation: 'hybrid' })).toBe(false);
  });

  it('searches slug, name, plan and residency, ignoring case', () => {
    expect(matchesSearch(tenant(), 'CORP')).toBe(true);
    expect(matchesSearch(tenant(), 'gold')).toBe(true);
    expect(matchesSearch(tenant(), 'eu')).toBe(true);
    expect(matchesSearch(tenant(), 'nowhere')).toBe(false);
    expect(matchesSearch(tenant(), '  ')).toBe(true);
  });
});
