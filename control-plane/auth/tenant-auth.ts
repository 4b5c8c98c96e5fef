import { ApiError } from '../errors';
import type { ApiRateLimit } from '../fairness/api-rate-limit';
import type { Storage, TenantIdentityRecord, TenantRecord, TenantTokenKind, TenantTokenRecord } from '../storage/types';
import { hashToken } from './tokens';
import { builtinTenantRoles, tenantPermissions, type TenantPermission } from '../../contracts/tenant-directory';
import { effectiveRoles } from '../identity/effective-roles';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';

export interface AuthenticatedTenant {
  tenant: TenantRecord;
  token: TenantTokenRecord;
  actor: { label: string };
  /** What this caller may do: everything for a tenant-admin token, its roles' permissions for a user session. */
  permissions: ReadonlySet<string>;
  /** The signed-in user, for a user session. */
  user: { id: string; userName: string; roles: string[] } | null;
  /**
   * Whether the tenant owns this credential outright: nothing the provider minted or configured can
   * have produced it (see tenantOwnership). Reading the tenant's data and approving break-glass need it.
   */
  tenantOwned: boolean;
  /** Permissions the user's roles grant but this session may not use, because it is not tenant-owned. */
  withheld: ReadonlySet<TenantPermission>;
}

const tokenPrefixes: Record<TenantTokenKind, string> = { admin: 'bht_', session: 'bht_', portal: 'bhp_', scim: 'bhs_', bootstrap: 'bhb_', agent: 'bha_' };

/** A person's session: an API session (bht_) or a portal session (bhp_, the portal's cookie). */
function isPersonSession(kind: TenantTokenKind): boolean {
  return kind === 'session' || kind === 'portal';
}

/**
 * What a tenant's data reveals is for the tenant's people: telemetry reads and insights need a
 * user session (the tenant's IdP) with a role, or a break-glass grant. Admin tokens provision
 * (directory, roles, agents, tests, break-glass decisions) but never read telemetry: before
 * handover they are the provider's onboarding credential, and a token is not a person.
 */
export const userOnlyPermissions: ReadonlySet<TenantPermission> = new Set<TenantPermission>(['telemetry:read', 'insights:run']);
const adminTokenPermissions = tenantPermissions.filter((permission) => !userOnlyPermissions.has(permission));

/** The refusal for a person whose session the tenant does not own (before handover, or through IdP settings it never confirmed). */
export function notTenantOwned(tenant: TenantRecord, what: string): ApiError {
  return tenant.handedOverAt === null
    ? new ApiError(403, 'handover_required', `${what} needs the tenant to own its credentials: until the customer hands the tenant over (POST /v1/handover with the onboarding token), no one signed in may do it.`)
    : new ApiError(
        403,
        'identity_not_tenant_owned',
        `${what} needs a session through identity settings the tenant owns: set or confirm them in the tenant plane (PUT /v1/identity/oidc or POST /v1/identity/oidc/confirm), then sign in again.`,
      );
}

/** 403 unless the caller holds `permission`. */
export function requireTenantPermission(auth: AuthenticatedTenant, permission: TenantPermission): void {
  if (auth.permissions.has(permission)) return;
  if (auth.withheld.has(permission)) {
    throw notTenantOwned(auth.tenant, permission);
  }
  const message =
    auth.user === null && userOnlyPermissions.has(permission)
      ? `A tenant-admin token does not allow ${permission}: sign in as a tenant user with a role (the tenant's IdP).`
      : `Your tenant role does not allow ${permission}.`;
  throw new ApiError(403, 'forbidden', message, { permission });
}

/**
 * Whether the tenant owns a credential outright. Until handover nothing does: the provider holds the
 * onboarding token and may have configured the IdP. At handover every credential but agent tokens
 * ends, so afterwards a live admin, SCIM or bootstrap token was minted by the tenant. A session must
 * also come from IdP settings the tenant set or confirmed itself (sign-in through any other is refused
 * after handover; one that started before handover is older than it).
 */
export function tenantOwnership(tenant: TenantRecord, token: TenantTokenRecord, identity: TenantIdentityRecord | null): boolean {
  if (tenant.handedOverAt === null || token.createdAt < tenant.handedOverAt) return false;
  if (token.kind === 'admin') return token.subjectId === null;
  if (isPersonSession(token.kind)) return identity?.tenantOwnedAt != null;
  return true;
}

/**
 * Tenant-plane authentication: a `bht_` token is routed to its tenant by its hash, then checked
 * in that tenant's own store. A suspended tenant's tokens get 403 tenant_suspended.
 */
export class TenantAuth {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => Date,
    /** The tenant plane's request limit (`api_rate_limit_rpm`), spent by every valid `bht_` call. */
    private readonly apiLimit: ApiRateLimit | null = null,
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
    // Routes for admins also take a portal session (the portal's cookie, see http/portal-cookie.ts).
    if (token === undefined || !(token.startsWith(prefix) || (kind === 'admin' && token.startsWith(tokenPrefixes.portal)))) {
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
    // bht_ is both a tenant-admin token and a user session: routes for admins accept either, and a portal session.
    const kindOk = record !== null && (record.kind === kind || (kind === 'admin' && isPersonSession(record.kind))) && token.startsWith(tokenPrefixes[record.kind]);
    if (record !== null && kindOk && isSpentOnboardingToken(tenant, record)) {
      throw await this.onboardingTokenUsed(tenant, record);
    }
    if (record === null || record.revokedAt !== null || !kindOk) {
      throw new ApiError(401, 'unauthorized', 'This token is not valid.');
    }
    if (Date.parse(record.expiresAt) <= this.clock().getTime()) {
      throw new ApiError(401, 'session_expired', 'This token has expired.');
    }
    if (tenant.state === 'suspended') {
      throw new ApiError(403, 'tenant_suspended', 'This tenant is suspended; its tokens work again once it is resumed.');
    }
    if (kind === 'admin') {
      this.apiLimit?.spend(tenant);
    }
    if (!isPersonSession(record.kind)) {
      const permissions = record.kind === 'admin' ? new Set<string>(adminTokenPermissions) : new Set<string>();
      return {
        tenant,
        token: record,
        actor: { label: `tenant:${tenant.slug}:${record.kind}-token:${record.id}` },
        permissions,
        user: null,
        tenantOwned: tenantOwnership(tenant, record, null),
        withheld: new Set(),
      };
    }
    // A session lives only while its user does: deactivation (SCIM or delete) ends it on the next request.
    const [user] = record.subjectId === null ? [] : await scope.usersByIds([record.subjectId]);
    if (user === undefined || !user.active) {
      throw new ApiError(401, 'unauthorized', 'This session has ended: the user is deactivated or removed.');
    }
    const roles = await effectiveRoles(scope, user.id);
    const custom = await scope.roles();
    const granted = new Set<string>();
    for (const role of roles) {
      const permissions = role in builtinTenantRoles ? builtinTenantRoles[role as keyof typeof builtinTenantRoles] : (custom.find((item) => item.name === role)?.permissions ?? []);
      for (const permission of permissions) granted.add(permission);
    }
    const tenantOwned = tenantOwnership(tenant, record, await scope.identity());
    const withheld = new Set<TenantPermission>(tenantOwned ? [] : [...userOnlyPermissions].filter((permission) => granted.has(permission)));
    for (const permission of withheld) granted.delete(permission);
    // The actor names the user by id: a ledger is kept beside other tenants' data, names and emails are not.
    return { tenant, token: record, actor: { label: `tenant:${tenant.slug}:user:${user.id}` }, permissions: granted, user: { id: user.id, userName: user.userName, roles }, tenantOwned, withheld };
  }

  /**
   * An onboarding token presented after the tenant was handed over: the customer learns at once that
   * someone used it (it may not have been them), and the attempt is in the tenant's ledger.
   */
  private async onboardingTokenUsed(tenant: TenantRecord, record: TenantTokenRecord): Promise<ApiError> {
    const at = this.clock().toISOString();
    const details = { token_id: record.id, handed_over_at: tenant.handedOverAt };
    await this.storage.transaction(async (tx) => {
      await tx.appendLedger(tenantLedger(tenant.id), { actor: `tenant:${tenant.slug}:admin-token:${record.id}`, eventType: 'ONBOARDING_TOKEN_REJECTED', tenantId: tenant.id, details }, at);
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `tenant:${tenant.slug}:admin-token:${record.id}`, eventType: 'ONBOARDING_TOKEN_REJECTED', tenantId: tenant.id, details }, at);
    });
    return new ApiError(
      401,
      'onboarding_token_used',
      `This onboarding token ended when the tenant was handed over at ${tenant.handedOverAt ?? 'an earlier time'}. If no one in your organisation did that, treat it as an incident: the handover is in your ledger, and your provider can open a recovery request (it waits 72 hours, and you can cancel it).`,
      { handed_over_at: tenant.handedOverAt },
    );
  }
}

/** A provider-minted admin token (an onboarding credential) that ended at or after the tenant's handover. */
function isSpentOnboardingToken(tenant: TenantRecord, record: TenantTokenRecord): boolean {
  return record.kind === 'admin' && record.subjectId !== null && record.revokedAt !== null && tenant.handedOverAt !== null && record.revokedAt >= tenant.handedOverAt;
}
