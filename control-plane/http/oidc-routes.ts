import { hkdfSync, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConfirmIdentityRequest, OidcLoginQuery, PutOidcRequest, type OidcView } from '../../contracts/identity';
import { builtinTenantRoles } from '../../contracts/tenant-directory';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { notTenantOwned, type AuthenticatedTenant, type TenantAuth } from '../auth/tenant-auth';
import { personalSealer } from '../audit/ledger-personal';
import { hashToken, newToken } from '../auth/tokens';
import { open, seal, SealError } from '../crypto/seal';
import { beginLogin, completeLogin, discover, OidcLoginError, type TenantOidcSettings } from '../identity/oidc-relying-party';
import { effectiveRoles } from '../identity/effective-roles';
import type { TenantIdentityRecord, TenantRecord } from '../storage/types';
import { TenantCrypto } from '../tenancy/tenant-keys';
import { assertWithinQuota } from '../tenancy/quota-check';
import { operatorWith, type ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const COOKIE = 'bh_oidc';
const SESSION_SECONDS = 8 * 3600;
const PendingCookie = z.object({
  tenant_id: z.string(),
  pending: z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string(), redirectUri: z.string(), createdAt: z.number() }),
});

function view(identity: TenantIdentityRecord): OidcView {
  return {
    issuer: identity.issuer,
    client_id: identity.clientId,
    claim: identity.claim,
    groups_claim: identity.groupsClaim,
    updated_at: identity.updatedAt,
    owner: identity.tenantOwnedAt === null ? 'provider' : 'tenant',
  };
}

function cookieValue(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

function oidcError(error: unknown): ApiError {
  if (error instanceof OidcLoginError) {
    const status = error.code === 'oidc_discovery_failed' || error.code === 'oidc_idp_error' ? 502 : error.code === 'oidc_wrong_tenant' ? 403 : 401;
    return new ApiError(status, status === 403 ? 'forbidden' : status === 401 ? 'unauthorized' : 'not_ready', error.message, { reason: error.code });
  }
  return error instanceof ApiError ? error : new ApiError(401, 'unauthorized', 'The sign-in could not be completed.');
}

/**
 * Per-tenant OIDC: the provider configures a tenant's own IdP (secret sealed with the tenant's key,
 * never returned); a tenant user signs in with authorization code + PKCE + nonce against that IdP
 * and gets a tenant session (bht_) that lives only while the user is active.
 */
export function oidcRoutes(ctx: ProviderContext, tenantAuth: TenantAuth) {
  const crypto = new TenantCrypto(ctx.storage, ctx.deploymentKey);
  const cookieKey = Buffer.from(hkdfSync('sha256', ctx.deploymentKey, Buffer.alloc(0), 'bulkhead/oidc-login-cookie/v1', 32));

  async function settingsOf(tenant: TenantRecord): Promise<{ settings: TenantOidcSettings; caPem: string | null }> {
    const identity = await ctx.storage.tenantScope(tenant).identity();
    if (identity === null) {
      throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured.');
    }
    refuseUnownedIdentity(tenant, identity);
    const clientSecret = (await crypto.open(tenant.id, identity.clientSecretSealed, 'oidc-client-secret')).toString('utf8');
    return {
      settings: { issuer: identity.issuer, clientId: identity.clientId, clientSecret, claim: identity.claim, expectedClaimValue: tenant.slug, groupsClaim: identity.groupsClaim },
      caPem: identity.caPem,
    };
  }

  /**
   * Stores a tenant's IdP settings (secret sealed with the tenant's key, never returned) and role
   * mappings; `owner` says who entered them: the provider during onboarding, or the tenant itself.
   */
  async function putIdentity(tenant: TenantRecord, body: z.infer<typeof PutOidcRequest>, actor: string, owner: 'provider' | 'tenant'): Promise<TenantIdentityRecord> {
    if (body.role_mapping !== undefined) {
      const known = new Set([...Object.keys(builtinTenantRoles), ...(await ctx.storage.tenantScope(tenant).roles()).map((role) => role.name)]);
      const unknown = body.role_mapping.filter((mapping) => !known.has(mapping.role));
      if (unknown.length > 0) {
        throw new ApiError(400, 'invalid_request', `Unknown role ${unknown.map((mapping) => mapping.role).join(', ')}.`, { issues: [{ path: 'role_mapping.role', message: 'unknown role' }] });
      }
    }
    const updatedAt = ctx.clock().toISOString();
    const identity: TenantIdentityRecord = {
      issuer: body.issuer,
      clientId: body.client_id,
      clientSecretSealed: await crypto.seal(tenant.id, Buffer.from(body.client_secret), 'oidc-client-secret'),
      claim: body.claim,
      groupsClaim: body.groups_claim,
      caPem: body.ca_pem ?? null,
      updatedAt,
      tenantOwnedAt: owner === 'tenant' ? updatedAt : null,
    };
    await ctx.storage.transaction(async (tx) => {
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

  /** Once handed over, the tenant's identity is changed only by credentials the tenant owns. */
  function requireOwnedCredential(auth: AuthenticatedTenant): void {
    if (!auth.tenantOwned) throw notTenantOwned(auth.tenant, 'Changing the identity settings in the tenant plane');
  }

  /** After handover, people sign in only through IdP settings the tenant set or confirmed. */
  function refuseUnownedIdentity(tenant: TenantRecord, identity: TenantIdentityRecord): void {
    if (tenant.handedOverAt !== null && identity.tenantOwnedAt === null) {
      throw new ApiError(
        403,
        'identity_not_tenant_owned',
        "This tenant's identity settings were entered by its provider and the tenant has not confirmed them since handover; a tenant admin sets or confirms them in the tenant plane first.",
      );
    }
  }

  return (app: FastifyInstance): Promise<void> => {
    app.put('/provider/v1/tenants/:tenant/identity/oidc', async (request) => {
      const { actor } = await operatorWith(ctx, request, 'identity:write');
      const { tenant: ref } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PutOidcRequest, request.body);
      const tenant = await ctx.tenants.resolve(ref);
      if (tenant.state === 'deleted') {
        throw new ApiError(409, 'tenant_deleted', 'The tenant is deleted.');
      }
      if (tenant.handedOverAt !== null) {
        throw new ApiError(409, 'tenant_handed_over', `The tenant was handed over at ${tenant.handedOverAt}: it configures its identity provider in its own plane.`, { handed_over_at: tenant.handedOverAt });
      }
      return view(await putIdentity(tenant, body, actor.label, 'provider'));
    });

    app.get('/v1/identity/oidc', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'profile:read');
      const identity = await ctx.storage.tenantScope(tenant).identity();
      if (identity === null) throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured.');
      return view(identity);
    });

    app.put('/v1/identity/oidc', async (request) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'identity:write');
      requireOwnedCredential(auth);
      const body = parseWith(PutOidcRequest, request.body);
      return view(await putIdentity(auth.tenant, body, auth.actor.label, 'tenant'));
    });

    app.post('/v1/identity/oidc/confirm', async (request) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'identity:write');
      requireOwnedCredential(auth);
      parseWith(ConfirmIdentityRequest, request.body);
      const at = ctx.clock().toISOString();
      const confirmed = await ctx.storage.transaction(async (tx) => {
        if (!(await tx.setIdentityOwnership(auth.tenant, at))) return false;
        await tx.appendLedger(tenantLedger(auth.tenant.id), { actor: auth.actor.label, eventType: 'IDENTITY_CONFIRMED', tenantId: auth.tenant.id, details: { owner: 'tenant' } }, at);
        return true;
      });
      if (!confirmed) throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured: set one with PUT /v1/identity/oidc.');
      const identity = await ctx.storage.tenantScope(auth.tenant).identity();
      if (identity === null) throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured.');
      return view(identity);
    });

    app.get('/v1/auth/oidc/login', async (request, reply) => {
      const { tenant: ref } = parseWith(OidcLoginQuery, request.query, 'query');
      const tenant = await ctx.tenants.resolve(ref).catch(() => null);
      if (tenant === null || tenant.state !== 'active') {
        throw new ApiError(404, 'not_found', 'No active tenant by that name accepts sign-in here.');
      }
      const { settings, caPem } = await settingsOf(tenant);
      try {
        const config = await discover(settings, caPem === null ? {} : { trustedCaPem: caPem });
        const redirectUri = `https://${request.headers.host ?? 'localhost'}/v1/auth/oidc/callback`;
        const { url, pending } = await beginLogin(config, redirectUri, 'openid email profile', ctx.clock().getTime());
        const sealed = seal(cookieKey, Buffer.from(JSON.stringify({ tenant_id: tenant.id, pending })), 'oidc-login').toString('base64url');
        return await reply
          .header('set-cookie', `${COOKIE}=${sealed}; Path=/v1/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=600`)
          .redirect(url.toString(), 302);
      } catch (error) {
        throw oidcError(error);
      }
    });

    app.get('/v1/auth/oidc/callback', async (request, reply) => {
      const raw = cookieValue(request, COOKIE);
      let state: z.infer<typeof PendingCookie>;
      try {
        state = PendingCookie.parse(JSON.parse(open(cookieKey, Buffer.from(raw ?? '', 'base64url'), 'oidc-login').toString('utf8')));
      } catch (error) {
        if (error instanceof SealError || error instanceof SyntaxError || error instanceof z.ZodError) {
          throw new ApiError(401, 'unauthorized', 'No sign-in is in progress in this browser; start it again.', { reason: 'oidc_state_mismatch' });
        }
        throw error;
      }
      const tenant = await ctx.storage.tenants.byId(state.tenant_id);
      if (tenant === null || tenant.state !== 'active') {
        throw new ApiError(403, 'tenant_suspended', 'This tenant does not accept sign-in now.');
      }
      const { settings, caPem } = await settingsOf(tenant);
      let identity;
      try {
        const config = await discover(settings, caPem === null ? {} : { trustedCaPem: caPem });
        const callbackUrl = new URL(request.url, state.pending.redirectUri);
        identity = await completeLogin(config, settings, callbackUrl, state.pending, ctx.clock().getTime());
      } catch (error) {
        throw oidcError(error);
      }
      const scope = ctx.storage.tenantScope(tenant);
      // The directory user: the one this (issuer, subject) is linked to; on a first sign-in, the one
      // SCIM provisioned with this subject as its externalId, else a new one with no roles. Never by
      // email: an IdP that asserts someone's address does not make its subject that person.
      const linkedId = await scope.identityLink(settings.issuer, identity.subject);
      let user = linkedId === null ? null : ((await scope.usersByIds([linkedId]))[0] ?? null);
      const link = user === null;
      if (user === null) {
        const candidates = await scope.usersByExternalId(identity.subject);
        if (candidates.length > 1) {
          throw new ApiError(409, 'conflict', 'Several directory users carry this sign-in\'s subject as their externalId; the tenant must make it unique (SCIM).', { reason: 'oidc_ambiguous_subject' });
        }
        user = candidates[0] ?? null;
      }
      const now = ctx.clock();
      const at = now.toISOString();
      if (user !== null && !user.active) {
        throw new ApiError(403, 'forbidden', 'This user is deactivated in the tenant directory.');
      }
      const newUserName = identity.email ?? identity.subject;
      if (user === null && (await scope.userByUserName(newUserName)) !== null) {
        throw new ApiError(
          409,
          'conflict',
          'A directory user with this sign-in\'s name exists but is not linked to this identity; set its externalId to the IdP subject (SCIM) to link them.',
          { reason: 'oidc_unlinked_user' },
        );
      }
      const sealPersonal = await personalSealer(crypto, tenant.id);
      const token = newToken('bht_');
      const expiresAt = new Date(now.getTime() + SESSION_SECONDS * 1000).toISOString();
      const created = user === null;
      await ctx.storage.transaction(async (tx) => {
        if (user === null) {
          assertWithinQuota(tenant.quotas, 'max_users', await tx.countTenantUsers(tenant));
          user = {
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
          await tx.insertTenantUser(tenant, user);
          await tx.appendLedger(
            tenantLedger(tenant.id),
            { actor: `oidc:${settings.issuer}`, eventType: 'USER_PROVISIONED', tenantId: tenant.id, details: { user_id: user.id, via: 'oidc', ...sealPersonal({ user_name: user.userName, external_id: user.externalId }) } },
            at,
          );
        }
        if (link) {
          await tx.linkIdentity(tenant, { issuer: settings.issuer, subject: identity.subject, userId: user.id, createdAt: at });
        }
        await tx.createTenantToken(tenant, { id: randomUUID(), kind: 'session', name: 'oidc session', tokenHash: hashToken(token), createdAt: at, expiresAt, revokedAt: null, subjectId: user.id });
        await tx.appendLedger(tenantLedger(tenant.id), { actor: `tenant:${tenant.slug}:user:${user.id}`, eventType: 'USER_LOGIN', tenantId: tenant.id, details: { user_id: user.id, issuer: settings.issuer, first_seen: created } }, at);
      });
      if (user === null) {
        throw new ApiError(500, 'internal_error', 'The sign-in did not produce a user.');
      }
      const roles = await effectiveRoles(scope, user.id);
      return reply
        .code(201)
        .header('set-cookie', `${COOKIE}=; Path=/v1/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=0`)
        .send({ token, expires_at: expiresAt, user: { id: user.id, user_name: user.userName, roles } });
    });

    app.get('/v1/me', async (request) => {
      const auth = await tenantAuth.authenticate(request.headers.authorization);
      return {
        tenant: { id: auth.tenant.id, slug: auth.tenant.slug, name: auth.tenant.name },
        user: auth.user === null ? null : { id: auth.user.id, user_name: auth.user.userName, roles: auth.user.roles },
        permissions: [...auth.permissions].sort(),
      };
    });
    return Promise.resolve();
  };
}
