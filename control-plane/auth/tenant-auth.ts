import { ApiError } from '../http/errors';
import type { Storage, TenantRecord, TenantTokenKind, TenantTokenRecord } from '../storage/types';
import { hashToken } from './tokens';

export interface AuthenticatedTenant {
  tenant: TenantRecord;
  token: TenantTokenRecord;
  actor: { label: string };
}

const tokenPrefixes: Record<TenantTokenKind, string> = { admin: 'bht_', scim: 'bhs_', bootstrap: 'bhb_', agent: 'bha_' };

/**
 * Tenant-plane authentication: a `bht_` token is routed to its tenant by its hash, then checked
 * in that tenant's own store. A suspended tenant's tokens get 403 tenant_suspended.
 */
export class TenantAuth {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => Date,
  ) {}

  /** `kind` picks the token kind (and prefix) a route accepts: `admin` (bht_) or `scim` (bhs_). */
  async authenticate(authorization: string | undefined, kind: TenantTokenKind = 'admin'): Promise<AuthenticatedTenant> {
    const prefix = tokenPrefixes[kind];
    const match = /^Bearer ([a-z]{3}_[A-Za-z0-9_-]{10,200})$/.exec((authorization ?? '').trim());
    const token = match?.[1];
    if (token?.startsWith(prefix) !== true) {
      throw new ApiError(401, 'unauthorized', `Send Authorization: Bearer <${prefix} token>.`);
    }
    const tokenHash = hashToken(token);
    const tenantId = await this.storage.tokenTenant(tokenHash);
    const tenant = tenantId === null ? null : await this.storage.tenants.byId(tenantId);
    if (tenant === null || tenant.state === 'deleted') {
      throw new ApiError(401, 'unauthorized', 'This token is not valid.');
    }
    const record = await this.storage.tenantScope(tenant).tokenByHash(tokenHash);
    if (record === null || record.revokedAt !== null || record.kind !== kind) {
      throw new ApiError(401, 'unauthorized', 'This token is not valid.');
    }
    if (Date.parse(record.expiresAt) <= this.clock().getTime()) {
      throw new ApiError(401, 'session_expired', 'This token has expired.');
    }
    if (tenant.state === 'suspended') {
      throw new ApiError(403, 'tenant_suspended', 'This tenant is suspended; its tokens work again once it is resumed.');
    }
    return { tenant, token: record, actor: { label: `tenant:${tenant.slug}:${record.kind}-token:${record.id}` } };
  }
}
