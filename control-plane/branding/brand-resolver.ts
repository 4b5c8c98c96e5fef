import { SLUG_PATTERN } from '../../contracts/common';
import { brandCustomProperties, DEFAULT_BRAND_DESIGN, ResolvedBrand, type BrandSource } from '../../contracts/branding';
import type { Storage, TenantRecord } from '../storage/types';
import { normalizeHost, tenantHostSlug, underBaseDomain } from './host-names';

export interface BrandResolverDeps {
  storage: Pick<Storage, 'tenants' | 'branding' | 'tenantScope'>;
  /** `serve --base-domain`: tenant hosts are `<slug>.<base domain>`; null when tenant hosts are not used. */
  baseDomain: string | null;
  /** A resolution that failed (it still answers the default brand). */
  onError: (error: unknown) => void;
}

export const DEFAULT_RESOLVED_BRAND: ResolvedBrand = { source: 'default', tenant_slug: null, ...DEFAULT_BRAND_DESIGN };

/**
 * Which brand a sign-in wall on `host` shows. Under the base domain a host is a tenant host
 * (`<slug>.<base domain>`, one label) and nothing else: a custom domain never applies there, so no
 * tenant's custom domain can shadow another tenant's host. Anywhere else, the tenant whose custom
 * domain it is. The tenant must be active and the brand must parse and re-check (its CSS tokens
 * included); every other outcome, an exception included, is the default brand, never another
 * tenant's.
 */
export class BrandResolver {
  constructor(private readonly deps: BrandResolverDeps) {}

  async resolve(hostInput: string | undefined): Promise<ResolvedBrand> {
    try {
      return (await this.lookup(hostInput)) ?? DEFAULT_RESOLVED_BRAND;
    } catch (error) {
      this.deps.onError(error);
      return DEFAULT_RESOLVED_BRAND;
    }
  }

  private async lookup(hostInput: string | undefined): Promise<ResolvedBrand | null> {
    const host = hostInput === undefined ? null : normalizeHost(hostInput);
    if (host === null) return null;
    const { storage, baseDomain } = this.deps;
    let tenant: TenantRecord | null;
    let source: BrandSource;
    if (underBaseDomain(host, baseDomain)) {
      const slug = tenantHostSlug(host, baseDomain);
      if (slug === null || !SLUG_PATTERN.test(slug)) return null;
      tenant = await storage.tenants.bySlug(slug);
      source = 'tenant_host';
      if (tenant !== null && tenant.slug !== slug) return null;
    } else {
      const tenantId = await storage.branding.tenantByDomain(host);
      if (tenantId === null) return null;
      tenant = await storage.tenants.byId(tenantId);
      source = 'custom_domain';
    }
    if (tenant === null || tenant.state !== 'active') return null;
    const record = await storage.tenantScope(tenant).branding();
    // The record must be this tenant's, and for a custom domain, still claim this very host.
    if (record !== null && record.tenantId !== tenant.id) return null;
    if (source === 'custom_domain' && record?.customDomain !== host) return null;
    const design = record?.design ?? DEFAULT_BRAND_DESIGN;
    // The tokens must still make custom properties (a record altered in storage throws here).
    brandCustomProperties(design);
    return ResolvedBrand.parse({ source, tenant_slug: tenant.slug, ...design });
  }
}
