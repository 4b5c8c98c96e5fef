import type { FastifyInstance } from 'fastify';
import { followLogin, type TestIdp } from './test-idp';
import type { Call } from './tenant-user';

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * A handed-over tenant whose people sign in to its portal through `idp`: the customer hands the
 * tenant over, sets its own IdP settings (tenant-owned, so its people may approve break-glass) and
 * pushes `account` through SCIM into a group mapped to `role`. Returns the tenant-owned admin token's
 * Authorization header. `account` is the IdP's subject (test-idp accounts are keyed by it).
 */
export async function portalTenant(options: { call: Call; onboarding: string; slug: string; idp: TestIdp; clientId: string; clientSecret: string; account: string; role: 'admin' | 'viewer' }): Promise<string> {
  const { call, slug, idp, account, role } = options;
  const ok = (what: string, response: { status: number; json: Record<string, unknown> }, status: number) => {
    if (response.status !== status) throw new Error(`${slug} ${what}: ${response.status} ${JSON.stringify(response.json)}`);
    return response.json;
  };
  const admin = `Bearer ${String(ok('handover', await call('POST', '/v1/handover', options.onboarding, {}), 201).token)}`;
  const group = `${slug}-${role}s`;
  ok('identity', await call('PUT', '/v1/identity/oidc', admin, { issuer: idp.issuer, client_id: options.clientId, client_secret: options.clientSecret, ca_pem: idp.caPem, claim: 'tenant', role_mapping: [{ group, role }] }), 200);
  const scim = `Bearer ${String(ok('SCIM token', await call('POST', '/v1/directory/scim-tokens', admin, { name: 'portal fixture' }), 201).token)}`;
  const user = ok('SCIM user', await call('POST', '/scim/v2/Users', scim, { schemas: [SCIM_USER], userName: `${account}@${slug}.example`, externalId: account, active: true }), 201);
  ok('SCIM group', await call('POST', '/scim/v2/Groups', scim, { schemas: [SCIM_GROUP], displayName: group, members: [{ value: String(user.id) }] }), 201);
  return admin;
}

/** A portal session as the page holds it: the cookie, its CSRF value, and the host it is for. */
export interface PortalCookieSession {
  cookie: string;
  csrf: string;
  host: string;
}

/**
 * Signs `account` in to the portal on `host` through `idp` as a browser would (login, the IdP's
 * form, the callback) and reads the session's CSRF value from /portal/session.
 */
export async function portalCookieSession(app: FastifyInstance, host: string, idp: TestIdp, account: string): Promise<PortalCookieSession> {
  idp.loginAs(account);
  const start = await app.inject({ method: 'GET', url: '/portal/login', headers: { host } });
  const login = String(start.headers['set-cookie']).split(';')[0] ?? '';
  const callback = await followLogin(new URL(String(start.headers.location)), idp.caPem);
  const done = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { host, cookie: login } });
  const session = ([] as string[]).concat(done.headers['set-cookie'] ?? []).find((value) => value.startsWith('__Host-bh_portal=')) ?? '';
  const cookie = session.split(';')[0] ?? '';
  const view = await app.inject({ method: 'GET', url: '/portal/session', headers: { host, cookie } });
  if (view.statusCode !== 200) throw new Error(`portal sign-in on ${host}: ${view.statusCode} ${view.body}`);
  return { cookie, csrf: view.json<{ csrf_token: string }>().csrf_token, host };
}
