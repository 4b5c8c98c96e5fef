import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_SCOPES, TenantScopeCache } from './tenant-scope-cache';
import type { TenantRecord, TenantRef } from './types';

/** A scope as the engines build one: closures over the reference it was built for. */
interface ProbeScope {
  built: TenantRef;
  tenantId: () => string;
}

function probeCache(max?: number): { cache: TenantScopeCache<ProbeScope>; builds: TenantRef[] } {
  const builds: TenantRef[] = [];
  const cache = new TenantScopeCache<ProbeScope>((tenant) => {
    builds.push(tenant);
    return { built: tenant, tenantId: () => tenant.id };
  }, max);
  return { cache, builds };
}

describe('tenant scope cache', () => {
  it('builds one scope per tenant and isolation model, then returns it', () => {
    const { cache, builds } = probeCache();
    const id = randomUUID();
    const scope = cache.scopeOf({ id, isolationModel: 'siloed' });
    expect(cache.scopeOf({ id, isolationModel: 'siloed' })).toBe(scope);
    expect(scope.tenantId()).toBe(id);
    const pooled = cache.scopeOf({ id, isolationModel: 'pooled' });
    expect(pooled).not.toBe(scope);
    expect(cache.scopeOf({ id: randomUUID(), isolationModel: 'siloed' })).not.toBe(scope);
    expect(builds).toHaveLength(3);
    expect(cache.size).toBe(3);
  });

  it('builds from the reference alone, not from a larger record the caller passed', () => {
    const { cache } = probeCache();
    const id = randomUUID();
    const record = { id, isolationModel: 'hybrid', slug: 'acme', name: 'Acme' } satisfies Partial<TenantRecord>;
    expect(cache.scopeOf(record).built).toEqual({ id, isolationModel: 'hybrid' });
  });

  it('starts again past its bound, and builds anew what it no longer holds', () => {
    const { cache, builds } = probeCache(3);
    const head: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const first = cache.scopeOf(head);
    for (let i = 0; i < 3; i += 1) cache.scopeOf({ id: randomUUID(), isolationModel: 'pooled' });
    expect(cache.size).toBe(1);
    expect(cache.scopeOf(head)).not.toBe(first);
    expect(builds).toHaveLength(5);
    expect(MAX_CACHED_SCOPES).toBe(4096);
  });
});
