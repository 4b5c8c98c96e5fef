import type { FastifyInstance } from 'fastify';
import { ConfirmIdentityRequest, OidcLoginQuery, OidcView, PutOidcRequest } from '../../../contracts/identity';
import { notTenantOwned, type AuthenticatedTenant } from '../../auth/tenant-auth';
import { ApiError } from '../../errors';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { oidcView } from '../views';
import { contract } from '../route-contract';
import { cookieValue } from '../cookies';
import { SignInResponse } from '../../../contracts/tenants';

const COOKIE = 'bh_oidc';

/** Once handed over, the tenant's identity is changed only by credentials the tenant owns. */
function requireOwnedCredential(auth: AuthenticatedTenant): void {
  if (!auth.tenantOwned) throw notTenantOwned(auth.tenant, 'Changing the identity settings in the tenant plane');
}

/**
 * The tenant's own IdP settings (GET, PUT, confirm) and its people's sign-in through them: authorization
 * code + PKCE, the pending login kept in an HttpOnly cookie of this browser (identity/sign-in-service.ts).
 */
export function identityRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/identity/oidc', contract({ summary: "The tenant's IdP settings (never the secret) and who owns them", credential: 'tenant', responses: { 200: OidcView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'profile:read');
      const identity = await ctx.signIn.settings(tenant);
      if (identity === null) throw new ApiError(404, 'not_found', 'This tenant has no identity provider configured.');
      return oidcView(identity);
    });

    app.put('/v1/identity/oidc', contract({ summary: 'Set the IdP settings as the tenant\'s own (after handover)', credential: 'tenant', body: PutOidcRequest, responses: { 200: OidcView } }), async (request) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'identity:write');
      requireOwnedCredential(auth);
      const body = parseWith(PutOidcRequest, request.body);
      return oidcView(await ctx.signIn.putSettings(auth.tenant, body, auth.actor.label, 'tenant'));
    });

    app.post('/v1/identity/oidc/confirm', contract({ summary: 'Keep the IdP settings entered during onboarding as the tenant\'s own', credential: 'tenant', body: ConfirmIdentityRequest, responses: { 200: OidcView } }), async (request) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'identity:write');
      requireOwnedCredential(auth);
      parseWith(ConfirmIdentityRequest, request.body);
      return oidcView(await ctx.signIn.confirmSettings(auth.tenant, auth.actor.label));
    });

    app.get('/v1/auth/oidc/login', contract({ summary: "Start a person's sign-in at the tenant's IdP (authorization code + PKCE)", credential: 'none', query: OidcLoginQuery, responses: { 302: null } }), async (request, reply) => {
      const { tenant: ref } = parseWith(OidcLoginQuery, request.query, 'query');
      const tenant = await ctx.tenants.resolve(ref).catch(() => null);
      // Never built from an arbitrary Host header: that would send the IdP's code wherever a request claims to be.
      const origin = ctx.publicOrigin(request.headers.host);
      if (origin === null) {
        throw new ApiError(400, 'invalid_request', 'Sign-in is served at this control plane\'s public URL only (serve --public-url), or at a host name of its certificate.', {
          issues: [{ path: 'headers.host', message: 'not a host of this control plane' }],
        });
      }
      const redirectUri = `${origin}/v1/auth/oidc/callback`;
      const { url, pendingSealed } = await ctx.signIn.begin(tenant, redirectUri);
      return reply.header('set-cookie', `${COOKIE}=${pendingSealed}; Path=/v1/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=600`).redirect(url.toString(), 302);
    });

    app.get('/v1/auth/oidc/callback', contract({ summary: 'Complete a sign-in: a tenant session (bht_), shown once', credential: 'none', responses: { 201: SignInResponse } }), async (request, reply) => {
      const signedIn = await ctx.signIn.complete(cookieValue(request, COOKIE), request.url);
      return reply
        .code(201)
        .header('set-cookie', `${COOKIE}=; Path=/v1/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=0`)
        .send({ token: signedIn.token, expires_at: signedIn.expiresAt, user: { id: signedIn.user.id, user_name: signedIn.user.userName, roles: signedIn.user.roles } });
    });
    return Promise.resolve();
  };
}
