import { createHash } from 'node:crypto';
import { DEFAULT_BRAND_DESIGN, type BrandDesign, type PutBrandingRequest, type TenantBranding } from '../../contracts/branding';
import { ApiError } from '../errors';
import { ledgerBoth } from '../ledgers/ledger-both';
import { domainTaken, type BrandingRecord, type Storage, type TenantRecord } from '../storage/types';
import type { Actor, TenantService } from '../tenancy/tenant-service';
import { validatedBranding } from './brand-validation';

export interface BrandingServiceDeps {
  storage: Storage;
  tenants: TenantService;
  clock: () => Date;
  /** `serve --base-domain`: tenant hosts are `<slug>.<base domain>`, where custom domains may not go. */
  baseDomain: string | null;
}

function view(tenantId: string, record: BrandingRecord | null): TenantBranding {
  return { tenant_id: tenantId, ...(record?.design ?? DEFAULT_BRAND_DESIGN), custom_domain: record?.customDomain ?? null, updated_at: record?.updatedAt ?? null };
}

const digest = (value: string | null) => (value === null ? null : createHash('sha256').update(value).digest('hex'));

/**
 * What BRANDING_CHANGED records: which fields changed, the custom domain, and digests of the images
 * (the images themselves stay out of the ledger; the digest says which one was shown).
 */
function ledgerDetails(before: BrandingRecord | null, design: BrandDesign, customDomain: string | null): Record<string, unknown> {
  const previous: Record<string, unknown> = { ...(before?.design ?? DEFAULT_BRAND_DESIGN), custom_domain: before?.customDomain ?? null };
  const next: Record<string, unknown> = { ...design, custom_domain: customDomain };
  return {
    changed: Object.keys(next).filter((field) => JSON.stringify(previous[field]) !== JSON.stringify(next[field])),
    product_name: design.product_name,
    custom_domain: customDomain,
    logo_sha256: digest(design.logo_svg ?? design.logo_png_base64),
    favicon_sha256: digest(design.favicon_svg ?? design.favicon_png_base64),
  };
}

/** Tenants' brands on the provider plane: read, and replace with every value checked, ledgered in both ledgers. */
export class BrandingService {
  constructor(private readonly deps: BrandingServiceDeps) {}

  async get(ref: string): Promise<TenantBranding> {
    const tenant = await this.deps.tenants.resolve(ref);
    return view(tenant.id, await this.current(tenant));
  }

  async put(ref: string, body: PutBrandingRequest, actor: Actor): Promise<TenantBranding> {
    const tenant = await this.deps.tenants.resolve(ref);
    if (tenant.state === 'deleted') {
      throw new ApiError(409, 'tenant_deleted', 'The tenant is deleted; its data key is destroyed and it cannot change.', { tenant_id: tenant.id });
    }
    const { design, customDomain } = validatedBranding(body, this.deps.baseDomain);
    const before = await this.replaced(tenant);
    const record: BrandingRecord = { tenantId: tenant.id, design, customDomain, updatedAt: this.deps.clock().toISOString() };
    await this.deps.storage.transaction(async (tx) => {
      if (customDomain !== null) {
        const owner = await tx.brandingDomainOwner(customDomain);
        if (owner !== null && owner !== tenant.id) throw domainTaken(customDomain);
      }
      await tx.putBranding(record);
      await ledgerBoth(tx, tenant.id, actor.label, 'BRANDING_CHANGED', ledgerDetails(before, design, customDomain), record.updatedAt);
    });
    return view(tenant.id, record);
  }

  /** The brand a PUT replaces, for the ledger's list of changes; a record that no longer parses is replaced whole. */
  private async replaced(tenant: TenantRecord): Promise<BrandingRecord | null> {
    try {
      return await this.current(tenant);
    } catch {
      return null;
    }
  }

  /** A deleted tenant's brand was purged with its data. */
  private current(tenant: TenantRecord): Promise<BrandingRecord | null> {
    return tenant.state === 'deleted' ? Promise.resolve(null) : this.deps.storage.tenantScope(tenant).branding();
  }
}
