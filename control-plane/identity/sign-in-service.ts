import { hkdfSync, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PutOidcRequest } from '../../contracts/identity';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { hashToken, newToken } from '../auth/tokens';
import { open, seal, SealError } from '../crypto/seal';
import { ApiError } from '../errors';
import { personalSealer } from '../ledgers/ledger-personal';
import type { DirectoryUser, Storage, TenantIdentityRecord, TenantRecord } from '../storage/types';
import { assertWithinQuota } from '../tenancy/quota-check';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import type { DirectoryService } from './directory-service';
import { effectiveRoles } from './effective-roles';
import { beginLogin, completeLogin, discover, OidcLoginError, type OidcIdentity, type TenantOidcSettings } from './oidc-relying-party';

const SESSION_SECONDS = 8 * 3600;
/** A portal session (the cookie) is short: a browser tab is a riskier holder than an API client. */
const PORTAL_SESSION_SECONDS = 3600;

/** Which session a sign-in opens: an API session (bht_, answered once as JSON) or a portal session (bhp_, the portal's cookie). */
export type SessionKind = 'session' | 'portal';
const PendingLogin = z.object({
  tenant_id: z.string(),
  pending: z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string(), redirectUri: z.string(), createdAt: z.number() }),
});

export interface SignedIn {
  token: string;
  expiresAt: string;
  user: { id: string; userName: string; roles: string[] };
}

function oidcError(error: unknown): ApiError {
  if (error instanceof OidcLoginError) {
    const status = error.code === 'oidc_discovery_failed' || error.code === 'oidc_idp_error' ? 502 : error.code === 'oidc_wrong_tenant' ? 403 : 401;
    return new ApiError(status, status === 403 ? 'forbidden' : status === 401 ? 'unauthorized' : 'not_ready', error.message, { reason: error.code });
  }
  return error instanceof ApiError ? error : new ApiError(401, 'unauthorized', 'The sign-in could not be completed.');
}

/**
 * A tenant's own IdP and its people's sign-in. The settings (secret sealed with the tenant's key,
 * never returned) are entered by the provider during onboarding or by the tenant itself; after
 * handover only settings the tenant owns sign anyone in. A sign-in is authorization code + PKCE +
 * nonce against that IdP (oidc-relying-party.ts), links the person by (issuer, subject) and opens a
 * tenant session (bht_) that lives only while the user is active.
 */
export class SignInService {
  private readonly cookieKey: Buffer;

  constructor(private readonly deps: { storage: Storage; crypto: TenantCrypto; directory: DirectoryService; clock: () => Date; deploymentKey: Buffer }) {
    this.cookieKey = Buffer.from(hkdfSync('sha256', deps.deploymentKey, Buffer.alloc(0), 'bulkhead/oidc-login-cookie/v1', 32));
  }

  settings(tenant: TenantRecord): Promise<TenantIdentityRecord | null> {
    return this.deps.storage.tenantScope(tenant).identity();
  }

  /** Stores the tenant's IdP settings and role mappings; `owner` says who entered them (see the trust model). */
  async putSettings(tenant: TenantRecord, body: z.infer<typeof PutOidcRequest>, actor: string, owner: 'provider' | 'tenant'): Promise<TenantIdentityRecord> {
    if (body.role_mapping !== undefined) {
      await this.deps.directory.checkRoles(tenant, body.role_mapping, 'role_mapping.role');
    }
    const updatedAt = this.deps.clock().toISOString();
    const identity: TenantIdentityRecord = {
      issuer: body.issuer,
      clientId: body.client_id,
      clientSecretSealed: await this.deps.crypto.seal(tenant.id, Buffer.from(body.client_secret), 'oidc-client-secret'),
      claim: body.claim,
      groupsClaim: body.groups_claim,
      caPem: body.ca_pem ?? null,
      updatedAt,
      tenantOwnedAt: owner === 'tenant' ? updatedAt : null,
    };
    await this.deps.storage.transaction(async (tx) => {
      await tx.putIdentity(tenant, identity);
      if (body.role_mapping !== undefined) {
        await tx.putRoleMappings(tenant, body.role_mapping);
      }
      const details = { issuer: identity.issuer, client_id: identity.clientId, claim: identity.claim, groups_claim: identity.groupsClaim, role_mapping: body.role_mapping ?? null, owner };
      // The provider's change is in both ledgers; the tenant's own change is its business.
      if (owner === 'provider') {
        await tx.appendLedger(PROVIDER_LEDGER, { actor, eventType: 'IDENTITY_CHANGED', tenantId: tenant.id, details }, updatedAt);
      }
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'IDENTITY_CHANGED', tenantId: tenant.id, details }, updatedAt);
    });
    return identity;
  }

  /** The tenant keeps the settings entered during onboarding as its own. */
  async confirmSettings(tenant: TenantRecord, actor: string): Promise<TenantIdentityRecord> {
    const at = this.deps.clock().toISOString();
    const confirmed = await this.deps.storage.transaction(async (tx) => {
      if (!(await tx.setIdentityOwnership(tenant, at))) return false;
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'IDENTITY_CONFIRMED', tenantId: tenant.id, details: { owner: 'tenant' } }, at);
      return true;
    });
    const identity = confirmed ? await this.settings(tenant) : null;
    if (identity === null) throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured: set one with PUT /v1/identity/oidc.');
    return identity;
  }

  /** Starts a sign-in: the IdP's authorization URL, and the pending login sealed for a cookie of this browser. */
  async begin(tenant: TenantRecord | null, redirectUri: string): Promise<{ url: URL; pendingSealed: string }> {
    if (tenant === null || tenant.state !== 'active') {
      throw new ApiError(404, 'not_found', 'No active tenant by that name accepts sign-in here.');
    }
    const { settings, caPem } = await this.oidcSettings(tenant);
    try {
      const config = await discover(settings, caPem === null ? {} : { trustedCaPem: caPem });
      const { url, pending } = await beginLogin(config, redirectUri, 'openid email profile', this.deps.clock().getTime());
      return { url, pendingSealed: seal(this.cookieKey, Buffer.from(JSON.stringify({ tenant_id: tenant.id, pending })), 'oidc-login').toString('base64url') };
    } catch (error) {
      throw oidcError(error);
    }
  }

  /**
   * Completes a sign-in from the callback URL and the pending login this browser kept; opens the
   * session. `expectTenantId`: the tenant whose portal the callback reached (a login begun for
   * another tenant is refused there).
   */
  async complete(pendingSealed: string | null, callbackPath: string, options: { kind?: SessionKind; expectTenantId?: string } = {}): Promise<SignedIn> {
    let state: z.infer<typeof PendingLogin>;
    try {
      state = PendingLogin.parse(JSON.parse(open(this.cookieKey, Buffer.from(pendingSealed ?? '', 'base64url'), 'oidc-login').toString('utf8')));
    } catch (error) {
      if (error instanceof SealError || error instanceof SyntaxError || error instanceof z.ZodError) {
        throw new ApiError(401, 'unauthorized', 'No sign-in is in progress in this browser; start it again.', { reason: 'oidc_state_mismatch' });
      }
      throw error;
    }
    if (options.expectTenantId !== undefined && state.tenant_id !== options.expectTenantId) {
      throw new ApiError(401, 'unauthorized', 'This sign-in was started for another tenant; start it again here.', { reason: 'oidc_state_mismatch' });
    }
    const tenant = await this.deps.storage.tenants.byId(state.tenant_id);
    if (tenant === null || tenant.state !== 'active') {
      throw new ApiError(403, 'tenant_suspended', 'This tenant does not accept sign-in now.');
    }
    const { settings, caPem } = await this.oidcSettings(tenant);
    let identity: OidcIdentity;
    try {
      const config = await discover(settings, caPem === null ? {} : { trustedCaPem: caPem });
      identity = await completeLogin(config, settings, new URL(callbackPath, state.pending.redirectUri), state.pending, this.deps.clock().getTime());
    } catch (error) {
      throw oidcError(error);
    }
    return this.openSession(tenant, settings.issuer, identity, options.kind ?? 'session');
  }

  /** Ends a portal session (sign-out): its token is revoked at once. */
  async signOut(tenant: TenantRecord, tokenId: string): Promise<void> {
    const at = this.deps.clock().toISOString();
    await this.deps.storage.transaction((tx) => tx.revokeTenantToken(tenant, tokenId, 'portal', at));
  }

  /** The tenant's settings as the relying party needs them; after handover, only settings the tenant owns. */
  private async oidcSettings(tenant: TenantRecord): Promise<{ settings: TenantOidcSettings; caPem: string | null }> {
    const identity = await this.settings(tenant);
    if (identity === null) {
      throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured.');
    }
    if (tenant.handedOverAt !== null && identity.tenantOwnedAt === null) {
      throw new ApiError(
        403,
        'identity_not_tenant_owned',
        "This tenant's identity settings were entered by its provider and the tenant has not confirmed them since handover; a tenant admin sets or confirms them in the tenant plane first.",
      );
    }
    const clientSecret = (await this.deps.crypto.open(tenant.id, identity.clientSecretSealed, 'oidc-client-secret')).toString('utf8');
    return {
      settings: { issuer: identity.issuer, clientId: identity.clientId, clientSecret, claim: identity.claim, expectedClaimValue: tenant.slug, groupsClaim: identity.groupsClaim },
      caPem: identity.caPem,
    };
  }

  /**
   * The directory user: the one this (issuer, subject) is linked to; on a first sign-in, the one SCIM
   * provisioned with this subject as its externalId, else a new one with no roles. Never by email: an
   * IdP that asserts someone's address does not make its subject that person.
   */
  private async openSession(tenant: TenantRecord, issuer: string, identity: OidcIdentity, kind: SessionKind): Promise<SignedIn> {
    const scope = this.deps.storage.tenantScope(tenant);
    const linkedId = await scope.identityLink(issuer, identity.subject);
    let user: DirectoryUser | null = linkedId === null ? null : ((await scope.usersByIds([linkedId]))[0] ?? null);
    const link = user === null;
    if (user === null) {
      const candidates = await scope.usersByExternalId(identity.subject);
      if (candidates.length > 1) {
        throw new ApiError(409, 'conflict', "Several directory users carry this sign-in's subject as their externalId; the tenant must make it unique (SCIM).", { reason: 'oidc_ambiguous_subject' });
      }
      user = candidates[0] ?? null;
    }
    if (user !== null && !user.active) {
      throw new ApiError(403, 'forbidden', 'This user is deactivated in the tenant directory.');
    }
    const newUserName = identity.email ?? identity.subject;
    if (user === null && (await scope.userByUserName(newUserName)) !== null) {
      throw new ApiError(409, 'conflict', "A directory user with this sign-in's name exists but is not linked to this identity; set its externalId to the IdP subject (SCIM) to link them.", {
        reason: 'oidc_unlinked_user',
      });
    }
    const sealPersonal = await personalSealer(this.deps.crypto, tenant.id);
    const now = this.deps.clock();
    const at = now.toISOString();
    const token = newToken(kind === 'portal' ? 'bhp_' : 'bht_');
    const expiresAt = new Date(now.getTime() + (kind === 'portal' ? PORTAL_SESSION_SECONDS : SESSION_SECONDS) * 1000).toISOString();
    const created = user === null;
    const signedIn = await this.deps.storage.transaction(async (tx) => {
      let person = user;
      if (person === null) {
        assertWithinQuota(tenant.quotas, 'max_users', await tx.countTenantUsers(tenant));
        person = {
          id: randomUUID(),
          userName: newUserName,
          externalId: identity.subject,
          displayName: identity.name,
          givenName: null,
          familyName: null,
          emails: identity.email === null ? [] : [{ value: identity.email, type: 'work', primary: true }],
          active: true,
          createdAt: at,
          updatedAt: at,
          version: 1,
        };
        await tx.insertTenantUser(tenant, person);
        await tx.appendLedger(
          tenantLedger(tenant.id),
          { actor: `oidc:${issuer}`, eventType: 'USER_PROVISIONED', tenantId: tenant.id, details: { user_id: person.id, via: 'oidc', ...sealPersonal({ user_name: person.userName, external_id: person.externalId }) } },
          at,
        );
      }
      if (link) {
        await tx.linkIdentity(tenant, { issuer, subject: identity.subject, userId: person.id, createdAt: at });
      }
      await tx.createTenantToken(tenant, { id: randomUUID(), kind, name: kind === 'portal' ? 'portal session' : 'oidc session', tokenHash: hashToken(token), createdAt: at, expiresAt, revokedAt: null, subjectId: person.id });
      await tx.appendLedger(tenantLedger(tenant.id), { actor: `tenant:${tenant.slug}:user:${person.id}`, eventType: 'USER_LOGIN', tenantId: tenant.id, details: { user_id: person.id, issuer, first_seen: created, ...(kind === 'portal' ? { via: 'portal' } : {}) } }, at);
      return person;
    });
    return { token, expiresAt, user: { id: signedIn.id, userName: signedIn.userName, roles: await effectiveRoles(scope, signedIn.id) } };
  }
}
