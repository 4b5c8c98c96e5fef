import { describe, expect, it } from 'vitest';
import { defaultQuotas } from '../../../contracts/tenants';
import type { TenantRecord } from '../tenants';
import { memoisedTenantRows, TENANT_COLUMNS, tenantChangeColumns, tenantColumns, tenantFromRow, tenantFromRowCached } from './tenant-rows';

describe('tenant rows', () => {
  const tenant: TenantRecord = {
    id: '44444444-4444-4444-8444-444444444444',
    slug: 'acme',
    name: 'Acme',
    isolationModel: 'hybrid',
    residency: 'eu',
    plan: null,
    contactEmail: null,
    state: 'active',
    quotas: defaultQuotas,
    fairness: { ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 5 },
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    handedOverAt: null,
  };

  it('round-trips a tenant through its columns, with and without fairness limits', () => {
    const columns = tenantColumns(tenant);
    expect(Object.keys(columns)).toEqual([...TENANT_COLUMNS]);
    expect(tenantFromRow(columns)).toEqual(tenant);
    expect(tenantFromRow(tenantColumns({ ...tenant, fairness: null }))).toEqual({ ...tenant, fairness: null });
  });

  it('reads a row it has read before from memory, as a record of its own, and a changed row anew', () => {
    const first = tenantFromRowCached(tenantColumns(tenant));
    first.quotas.max_agents = 1;
    if (first.fairness !== null) first.fairness.query_budget = 1;
    first.state = 'deleted';
    // The same row again: the caller's changes to its record reach no one else.
    expect(tenantFromRowCached(tenantColumns(tenant))).toEqual(tenant);
    // One column changed (as a suspension or new limits would): the new content, never the old.
    expect(tenantFromRowCached(tenantColumns({ ...tenant, state: 'suspended' })).state).toBe('suspended');
    expect(tenantFromRowCached(tenantColumns({ ...tenant, quotas: { ...defaultQuotas, max_tests: 7 } })).quotas.max_tests).toBe(7);
    expect(tenantFromRowCached(tenantColumns(tenant))).toEqual(tenant);
  });

  it('parses a list row without the memo, so a long list neither fills it nor evicts the hot rows', () => {
    tenantFromRowCached(tenantColumns(tenant));
    const memoised = memoisedTenantRows();
    for (let i = 0; i < 2000; i += 1) {
      expect(tenantFromRow(tenantColumns({ ...tenant, slug: `t-${String(i)}` })).slug).toBe(`t-${String(i)}`);
    }
    expect(memoisedTenantRows()).toBe(memoised);
  });

  it('refuses a bad row every time, never from memory', () => {
    const bad = { ...tenantColumns(tenant), quotas: '{"max_agents":"many"}' };
    expect(() => tenantFromRowCached(bad)).toThrow();
    expect(() => tenantFromRowCached(bad)).toThrow();
    expect(() => tenantFromRow(bad)).toThrow();
    expect(() => tenantFromRowCached({ ...tenantColumns(tenant), created_at: 1n })).toThrow();
  });

  it('refuses a row with an unknown isolation model or quotas it cannot read', () => {
    expect(() => tenantFromRow({ ...tenantColumns(tenant), isolation_model: 'shared' })).toThrow();
    expect(() => tenantFromRow({ ...tenantColumns(tenant), quotas: '{"max_agents":"many"}' })).toThrow();
  });

  it('writes only the columns a change names; a fairness of null clears the limits', () => {
    expect(tenantChangeColumns({})).toEqual([]);
    expect(tenantChangeColumns({ state: 'suspended', updatedAt: 'u', fairness: null })).toEqual([
      ['state', 'suspended'],
      ['fairness', null],
      ['updated_at', 'u'],
    ]);
  });
});
