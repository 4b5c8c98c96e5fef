import { ApiError } from '../http/errors';
import type { Storage, TenantRecord, TenantTokenKind, TenantTokenRecord } from '../storage/types';
import { hashToken } from './tokens';
import { builtinTenantRoles, tenantPermissions, type TenantPermission } from '../../contracts/tenant-directory';
import { effectiveRoles } from '../identity/effective-roles';

export interface AuthenticatedTenant {
  tenant: TenantRecord;
  token: TenantTokenRecord;
  actor: { label: string };
  /** What this caller may do: everything for a tenant-admin token, its roles' permissions for a user session. */
  permissions: ReadonlySet<string>;
  /** The signed-in user, for a user session. */
  user: { id: string; userName: string; roles: string[] } | null;
}

const tokenPrefixes: Record<TenantTokenKind, string> = { admin: 'bht_', session: 'bht_', scim: 'bhs_', bootstrap: 'bhb_', agent: 'bha_' };

/** 403 unless the caller holds `permission`. */
/**
 * What a tenant's data reveals is for the tenant's people: telemetry reads and insights need a
 * user session (the tenant's IdP) with a role, or a break-glass grant. Tenant-admin tokens are
 * minted through the provider plane, so they provision (directory, roles, agents, tests,
 * break-glass decisions) but never read telemetry: otherwise minting one would be a way around
 * break-glass.
 */
const userOnlyPermissions: ReadonlySet<TenantPermission> = new Set<TenantPermission>(['telemetry:read', 'insights:run']);
const adminTokenPermissions = tenantPermissions.filter((permission) => !userOnlyPermissions.has(permission));

export function requireTenantPermission(auth: AuthenticatedTenant, permission: TenantPermission): void {
  if (!auth.permissions.has(permission)) {
    const message =
      auth.user === null && userOnlyPermissions.has(permission)
        ? `A tenant-admin token does not allow ${permission}: sign in as a tenant user with a role (the tenant's IdP).`
        : `Your tenant role does not allow ${permission}.`;
    throw new ApiError(403, 'forbidden', message, { permission });
  }
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

  /** Authenticates a tenant-admin token or user session and requires `permission`. */
  async authorize(authorization: string | undefined, permission: TenantPermission): Promise<AuthenticatedTenant> {
    const auth = await this.authenticate(authorization);
    requireTenantPermission(auth, permission);
    return auth;
  }

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
    const scope = this.storage.tenantScope(tenant);
    const record = await scope.tokenByHash(tokenHash);
    // bht_ is both a tenant-admin token and a user session: routes for admins accept either.
    const kindOk = record !== null && (record.kind === kind || (kind === 'admin' && record.kind === 'session'));
    if (record === null || record.revokedAt !== null || !kindOk) {
      throw new ApiError(401, 'unauthorized', 'This token is not valid.');
    }
    if (Date.parse(record.expiresAt) <= this.clock().getTime()) {
      throw new ApiError(401, 'session_expired', 'This token has expired.');
    }
    if (tenant.state === 'suspended') {
      throw new ApiError(403, 'tenant_suspended', 'This tenant is suspended; its tokens work again once it is resumed.');
    }
    if (record.kind !== 'session') {
      return { tenant, token: record, actor: { label: `tenant:${tenant.slug}:${record.kind}-token:${record.id}` }, permissions: new Set(adminTokenPermissions), user: null };
    }
    // A session lives only while its user does: deactivation (SCIM or delete) ends it on the next request.
    const [user] = record.subjectId === null ? [] : await scope.usersByIds([record.subjectId]);
    if (user === undefined || !user.active) {
      throw new ApiError(401, 'unauthorized', 'This session has ended: the user is deactivated or removed.');
    }
    const roles = await effectiveRoles(scope, user.id);
    const custom = await scope.roles();
    const permissions = new Set<string>();
    for (const role of roles) {
      const granted = role in builtinTenantRoles ? builtinTenantRoles[role as keyof typeof builtinTenantRoles] : (custom.find((item) => item.name === role)?.permissions ?? []);
      for (const permission of granted) permissions.add(permission);
    }
    return { tenant, token: record, actor: { label: `tenant:${tenant.slug}:user:${user.userName}` }, permissions, user: { id: user.id, userName: user.userName, roles } };
  }
}
