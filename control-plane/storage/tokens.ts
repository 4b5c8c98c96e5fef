import type { TenantRef } from './tenants';

/**
 * A tenant's tokens (admin, session, SCIM, bootstrap, agent), kept as hashes in the tenant's own
 * control store, each with a routing entry that names its tenant.
 */
/** `portal`: a person's portal session (bhp_), carried in the portal's cookie only. */
export type TenantTokenKind = 'admin' | 'session' | 'portal' | 'scim' | 'bootstrap' | 'agent';

export interface TenantTokenRecord {
  id: string;
  kind: TenantTokenKind;
  name: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** What the token stands for: the pool of a bootstrap token, the agent of an agent token. */
  subjectId: string | null;
}

/** The token reads of a tenant's scope. */
export interface TokenScope {
  tokenByHash(tokenHash: string): Promise<TenantTokenRecord | null>;
  tokens(kind: TenantTokenKind): Promise<TenantTokenRecord[]>;
}

/** The tokens' part of a write transaction. */
export interface TokenWrites {
  /** A token in the tenant's own store, and its routing entry. */
  createTenantToken(tenant: TenantRef, token: TenantTokenRecord & { tokenHash: string }): Promise<void>;
  /** Revokes a token of the tenant; false when the tenant has no such live token. */
  revokeTenantToken(tenant: TenantRef, tokenId: string, kind: TenantTokenKind, at: string): Promise<boolean>;
  /** Revokes every live token of these kinds (handover, recovery); answers how many of each. */
  revokeTenantTokens(tenant: TenantRef, kinds: readonly TenantTokenKind[], at: string): Promise<Partial<Record<TenantTokenKind, number>>>;
}
