import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashToken } from '../auth/tokens';
import { ApiError } from '../errors';
import { cookieValue } from './cookies';

/** The portal session (bhp_): host-only (`__Host-`), HttpOnly, Secure, SameSite=Strict, Path=/. */
export const PORTAL_COOKIE = '__Host-bh_portal';
/** The pending sign-in between /portal/login and /portal/callback (Lax: the IdP's redirect back is a cross-site navigation). */
export const PORTAL_LOGIN_COOKIE = '__Host-bh_portal_login';
export const CSRF_HEADER = 'x-bulkhead-csrf';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The CSRF value of a portal session: an HMAC of the session token's hash under a key derived from
 * the deployment key. The page learns it from GET /portal/session (same origin, cookie-authenticated)
 * and sends it as a header, which no cross-site page can read or set.
 */
export class PortalCsrf {
  private readonly key: Buffer;

  constructor(deploymentKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', deploymentKey, Buffer.alloc(0), 'bulkhead/portal-csrf/v1', 32));
  }

  tokenFor(session: string): string {
    return createHmac('sha256', this.key).update(hashToken(session)).digest('base64url');
  }

  /**
   * A state-changing call with the cookie must come from the portal's own origin (`Sec-Fetch-Site:
   * same-origin`, or an `Origin` of this very host) and carry the session's CSRF value.
   */
  check(request: FastifyRequest, session: string): void {
    const origin = request.headers.origin;
    const sameOrigin = request.headers['sec-fetch-site'] === 'same-origin' || (origin !== undefined && request.headers.host !== undefined && origin === `https://${request.headers.host}`);
    const sent = request.headers[CSRF_HEADER];
    const expected = Buffer.from(this.tokenFor(session));
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    if (!sameOrigin || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(403, 'csrf_rejected', `A state-changing call with the portal cookie must come from the portal's own origin and send ${CSRF_HEADER} (from GET /portal/session).`);
    }
  }
}

/** Whether a request is a state-changing one (what CSRF checks guard). */
export function isStateChanging(request: FastifyRequest): boolean {
  return UNSAFE_METHODS.has(request.method);
}

/**
 * The portal's cookie as a tenant credential on the /v1 tenant routes: a request brings a bearer or
 * the cookie, never both (which one would it act as?), and a state-changing one passes the CSRF check.
 * The cookie then stands where the bearer would, so every route authenticates it as it does any
 * tenant credential (TenantAuth takes a bhp_ portal session wherever a person's session is taken;
 * operator sessions are refused before this by the route table).
 */
export function registerPortalCookie(app: FastifyInstance, csrf: PortalCsrf): void {
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      portalCredential(request, csrf);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}

function portalCredential(request: FastifyRequest, csrf: PortalCsrf): void {
  if (request.routeOptions.config.plane !== 'tenant' || request.routeOptions.url?.startsWith('/v1/') !== true) return;
  // A portal session travels in its cookie only (where the CSRF check applies), never as a bearer.
  if (/^Bearer\s+bhp_/i.test((request.headers.authorization ?? '').trim())) {
    throw new ApiError(401, 'unauthorized', 'A portal session is sent only as the portal cookie.');
  }
  const session = cookieValue(request, PORTAL_COOKIE);
  if (session === null || session === '') return;
  if (request.headers.authorization !== undefined) {
    throw new ApiError(400, 'invalid_request', 'Send either an Authorization header or the portal cookie, not both.', { reason: 'two_credentials' });
  }
  if (isStateChanging(request)) {
    csrf.check(request, session);
  }
  request.headers.authorization = `Bearer ${session}`;
}
