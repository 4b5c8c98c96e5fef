import { describe, expect, it } from 'vitest';
import { defaultQuotas } from '../../contracts/tenants';
import { DEFAULT_BRAND_DESIGN } from '../../contracts/branding';
import type { BrandingRecord, TenantRecord } from '../storage/types';
import { BrandResolver, DEFAULT_RESOLVED_BRAND, type BrandResolverDeps } from './brand-resolver';

const at = '2030-01-01T00:00:00.000Z';
const tenant = (id: string, slug: string): TenantRecord => ({ id, slug, name: slug, isolationModel: 'pooled', residency: null, plan: null, contactEmail: null, state: 'active', quotas: defaultQuotas, fairness: null, createdAt: at, updatedAt: at, handedOverAt: null });
const A = tenant('11111111-1111-4111-8111-111111111111', 'alpha');
const B = tenant('22222222-2222-4222-8222-222222222222', 'bravo');
const brandOf = (record: TenantRecord, domain: string): BrandingRecord => ({ tenantId: record.id, design: { ...DEFAULT_BRAND_DESIGN, product_name: record.slug }, customDomain: domain, updatedAt: at });

/**
 * What the resolver does when storage misbehaves: the storage here answers what a broken or
 * inconsistent store could (the routes' tests run the real engines). Every such case is the default
 * brand, and the failure is reported.
 */
function resolverOver(overrides: { byDomain?: () => Promise<string | null>; brandOf?: (tenant: TenantRecord) => Promise<BrandingRecord | null> }) {
  const errors: unknown[] = [];
  const storage: BrandResolverDeps['storage'] = {
    tenants: { byId: (id) => Promise.resolve([A, B].find((t) => t.id === id) ?? null), bySlug: (slug) => Promise.resolve([A, B].find((t) => t.slug === slug) ?? null), list: () => Promise.resolve([]), countLive: () => Promise.resolve(2) },
    branding: { tenantByDomain: overrides.byDomain ?? (() => Promise.resolve(A.id)) },
    tenantScope: (ref) => ({ branding: () => (overrides.brandOf ?? ((t: TenantRecord) => Promise.resolve(brandOf(t, 'a.example'))))(ref as TenantRecord) }) as unknown as ReturnType<BrandResolverDeps['storage']['tenantScope']>,
  };
  return { resolver: new BrandResolver({ storage, baseDomain: 'tenants.example.test', onError: (error) => errors.push(error) }), errors };
}

describe('brand resolution when storage fails or disagrees', () => {
  it('answers the tenant brand when everything agrees (the control case)', async () => {
    const { resolver } = resolverOver({});
    expect(await resolver.resolve('a.example')).toMatchObject({ source: 'custom_domain', tenant_slug: 'alpha', product_name: 'alpha' });
  });

  it('answers the default brand when a lookup throws or rejects, and reports it', async () => {
    for (const byDomain of [() => Promise.reject(new Error('connection reset')), () => { throw new Error('sync failure'); }]) {
      const { resolver, errors } = resolverOver({ byDomain });
      expect(await resolver.resolve('a.example')).toEqual(DEFAULT_RESOLVED_BRAND);
      expect(errors).toHaveLength(1);
    }
  });

  it("answers the default brand when the record is another tenant's, or no longer claims the host", async () => {
    expect(await resolverOver({ brandOf: () => Promise.resolve(brandOf(B, 'a.example')) }).resolver.resolve('a.example')).toEqual(DEFAULT_RESOLVED_BRAND);
    expect(await resolverOver({ brandOf: () => Promise.resolve(brandOf(A, 'other.example')) }).resolver.resolve('a.example')).toEqual(DEFAULT_RESOLVED_BRAND);
    expect(await resolverOver({ brandOf: () => Promise.resolve(null) }).resolver.resolve('a.example')).toEqual(DEFAULT_RESOLVED_BRAND);
    expect(await resolverOver({ brandOf: () => Promise.resolve(brandOf(B, 'b.example')) }).resolver.resolve('alpha.tenants.example.test')).toEqual(DEFAULT_RESOLVED_BRAND);
  });

  it('answers the default brand for a record whose tokens no longer make CSS', async () => {
    const broken = { ...brandOf(A, 'a.example'), design: { ...DEFAULT_BRAND_DESIGN, colors: { ...DEFAULT_BRAND_DESIGN.colors, text: 'expression(alert(1))' } } };
    const { resolver, errors } = resolverOver({ brandOf: () => Promise.resolve(broken) });
    expect(await resolver.resolve('a.example')).toEqual(DEFAULT_RESOLVED_BRAND);
    expect(errors).toHaveLength(1);
  });

  it('never asks storage about a host under the base domain by custom domain', async () => {
    let asked = 0;
    const { resolver } = resolverOver({ byDomain: () => { asked++; return Promise.resolve(A.id); } });
    expect((await resolver.resolve('nobody.tenants.example.test')).source).toBe('default');
    expect(asked).toBe(0);
  });
});
