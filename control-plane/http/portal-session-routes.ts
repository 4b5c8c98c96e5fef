import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PortalSession } from '../../contracts/portal';
import type { AuthenticatedTenant } from '../auth/tenant-auth';
import { normalizeHost } from '../branding/host-names';
import { ApiError } from '../errors';
import type { TenantRecord } from '../storage/types';
import type { RouteContext } from './context';
import { cookieValue } from './cookies';
import { PORTAL_COOKIE, PORTAL_LOGIN_COOKIE } from './portal-cookie';
import { contract } from './route-contract';

const SESSION_COOKIE_SECONDS = 3600;

function clearCookie(name: string, sameSite: 'Strict' | 'Lax'): string {
  return `${name}=; Path=/; HttpOnly; Secure; SameSite=${sameSite}; Max-Age=0`;
}

/**
 * The tenant whose portal this host is, by the same resolution as its brand (tenant host or custom
 * domain, active tenants only), with the host name it was resolved by; null for any other host.
 */
async function portalTenant(ctx: RouteContext, request: FastifyRequest): Promise<{ tenant: TenantRecord; host: string } | null> {
  const host = normalizeHost(request.headers.host ?? '');
  if (host === null) return null;
  const brand = await ctx.brandResolver.resolve(host);
  if (brand.tenant_slug === null) return null;
  const tenant = await ctx.tenants.resolve(brand.tenant_slug).catch(() => null);
  return tenant === null || tenant.state !== 'active' ? null : { tenant, host };
}

/** The portal session the cookie holds (a bhp_ portal session only: never an API session or an operator's). */
async function portalCaller(ctx: RouteContext, request: FastifyRequest): Promise<{ auth: AuthenticatedTenant; user: NonNullable<AuthenticatedTenant['user']>; session: string }> {
  const session = cookieValue(request, PORTAL_COOKIE);
  if (session?.startsWith('bhp_') !== true) throw new ApiError(401, 'unauthorized', 'Not signed in to the portal.');
  const auth = await ctx.tenantAuth.authenticate(`Bearer ${session}`);
  if (auth.token.kind !== 'portal' || auth.user === null) throw new ApiError(401, 'unauthorized', 'Not signed in to the portal.');
  return { auth, user: auth.user, session };
}

/**
 * The portal's sign-in through the tenant's own IdP (authorization code + PKCE, as /v1/auth/oidc
 * does), ending in the portal cookie rather than a token shown once; the session the page reads
 * (with its CSRF value) and sign-out. The redirect URI is the portal's own host only once that host
 * resolved to the tenant: never a Host header taken as it came.
 */
export function portalSessionRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/portal/login', contract({ summary: "Start a person's portal sign-in at the IdP of the tenant this host belongs to", credential: 'none', responses: { 302: null } }), async (request, reply) => {
      const found = await portalTenant(ctx, request);
      if (found === null) throw new ApiError(404, 'not_found', "No tenant's portal is served at this host.");
      const redirectUri = `${ctx.portalOrigin(found.host, request.headers.host)}/portal/callback`;
      const { url, pendingSealed } = await ctx.signIn.begin(found.tenant, redirectUri);
      return reply.header('set-cookie', `${PORTAL_LOGIN_COOKIE}=${pendingSealed}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=600`).redirect(url.toString(), 302);
    });

    app.get('/portal/callback', contract({ summary: 'Complete a portal sign-in: sets the portal cookie and returns to /portal/ (a failure returns with ?error=<code>)', credential: 'none', responses: { 302: null } }), async (request, reply) => {
      const cookies = [clearCookie(PORTAL_LOGIN_COOKIE, 'Lax')];
      try {
        const found = await portalTenant(ctx, request);
        if (found === null) throw new ApiError(404, 'not_found', "No tenant's portal is served at this host.");
        const signedIn = await ctx.signIn.complete(cookieValue(request, PORTAL_LOGIN_COOKIE), request.url, { kind: 'portal', expectTenantId: found.tenant.id });
        cookies.push(`${PORTAL_COOKIE}=${signedIn.token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SESSION_COOKIE_SECONDS}`);
        return await reply.header('set-cookie', cookies).redirect('/portal/', 302);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // The code only (a fixed vocabulary): the wall says what failed, nothing the IdP sent is echoed.
        const reason = typeof error.details.reason === 'string' ? error.details.reason : error.code;
        return reply.header('set-cookie', cookies).redirect(`/portal/?error=${encodeURIComponent(reason)}`, 302);
      }
    });

    app.get('/portal/session', contract({ summary: "The portal's signed-in person, their roles and permissions, and the CSRF value for state-changing calls", credential: 'portal', responses: { 200: PortalSession } }), async (request, reply) => {
      const { auth, user, session } = await portalCaller(ctx, request);
      const body: PortalSession = {
        tenant: { id: auth.tenant.id, slug: auth.tenant.slug, name: auth.tenant.name },
        user: { id: user.id, user_name: user.userName, roles: user.roles },
        permissions: [...auth.permissions].sort(),
        csrf_token: ctx.portalCsrf.tokenFor(session),
        expires_at: auth.token.expiresAt,
      };
      return reply.header('cache-control', 'no-store').send(body);
    });

    app.post('/portal/logout', contract({ summary: 'Sign out of the portal: the session ends and the cookie is cleared', credential: 'portal', responses: { 204: null } }), async (request, reply) => {
      const { auth, session } = await portalCaller(ctx, request);
      ctx.portalCsrf.check(request, session);
      await ctx.signIn.signOut(auth.tenant, auth.token.id);
      return reply.code(204).header('set-cookie', clearCookie(PORTAL_COOKIE, 'Strict')).send();
    });
    return Promise.resolve();
  };
}
