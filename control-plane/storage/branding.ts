import type { BrandDesign } from '../../contracts/branding';
import { ApiError } from '../errors';

/**
 * A tenant's white-label brand. Lives in the shared control store for every isolation model, like
 * break-glass and recovery requests: a sign-in wall finds it by host before any tenant credential
 * exists. The custom domain is unique across tenants.
 */
export interface BrandingRecord {
  tenantId: string;
  design: BrandDesign;
  /** Lowercase, without a trailing dot; null when the tenant has none. */
  customDomain: string | null;
  updatedAt: string;
}

/** Host lookups before any tenant is known (sign-in walls). */
export interface BrandingReader {
  /** The tenant that claims this custom domain (already normalized), or null. */
  tenantByDomain(domain: string): Promise<string | null>;
}

/** The tenant's own brand. */
export interface BrandingScope {
  /** The tenant's brand, or null when none was set. A record that does not parse throws. */
  branding(): Promise<BrandingRecord | null>;
}

/** The brands' part of a write transaction. */
export interface BrandingWrites {
  /** The tenant claiming a custom domain, read inside the transaction (for the uniqueness check). */
  brandingDomainOwner(domain: string): Promise<string | null>;
  /** Inserts or replaces the tenant's brand. A custom domain another tenant holds fails the unique constraint. */
  putBranding(record: BrandingRecord): Promise<void>;
}

/** Another tenant holds the custom domain: what both engines answer when the unique constraint catches it. */
export function domainTaken(domain: string): ApiError {
  return new ApiError(409, 'domain_taken', `The custom domain ${domain} belongs to another tenant.`, { field: 'custom_domain' });
}
