import { ApiError } from '../http/errors';
import type { Storage, TenantRecord, TenantTokenRecord } from '../storage/types';
import { hashToken } from './tokens';

export interface AuthenticatedTenant {
  tenant: TenantRecord;
  token: TenantTokenRecord;
  actor: { label: string };
}

/**
 * Tenant-plane authentication: a `bht_` token is routed to its tenant by its hash, then checked
 * in that tenant's own store. A suspended tenant's tokens get 403 tenant_suspended.
 */
export class TenantAuth {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => Date,
  ) {}

  async authenticate(authorization: string | undefined): Promise<AuthenticatedTenant> {
    const match = /^Bearer (bht_[A-Za-z0-9_-]{10,200})$/.exec((authorization ?? '').trim());
    const token = match?.[1];
    if (token === undefined) {
      throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <bht_ tenant token>.');
    }
    const tokenHash = hashToken(token);
    const tenantId = await this.storage.tokenTenant(tokenHash);
    const tenant = tenantId === null ? null : await this.storage.tenants.byId(tenantId);
    if (tenant === null || tenant.state === 'deleted') {
      throw new ApiError(401, 'unauthorized', 'This token is not valid.');
    }
    const record = await this.storage.tenantScope(tenant).tokenByHash(tokenHash);
    if (record === null || record.revokedAt !== null) {
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
