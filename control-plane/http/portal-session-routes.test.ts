import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, injectCall, type TestApp } from '../../test/helpers/control-plane-harness';
import { portalTenant } from '../../test/helpers/portal-fixtures';
import { followLogin, startTestIdp, type TestIdp } from '../../test/helpers/test-idp';
import { clearDiscoveryCache, closeOidcConnections } from '../identity/oidc-relying-party';
import { CSRF_HEADER, PORTAL_COOKIE } from './portal-cookie';

const BASE = 'portal.example.test';
const hostA = `tenant-a.${BASE}`;
const hostB = `tenant-b.${BASE}`;

interface Portal {
  cookie: string;
  csrf: string;
  host: string;
}

/**
 * The portal's sign-in through each tenant's own IdP (real oidc-provider IdPs over HTTPS) ending in
 * the portal cookie, and that cookie as a tenant credential on /v1: accepted alone, refused with a
 * bearer, CSRF-checked on every state-changing call, confined to its own tenant; operators never in.
 */
describe('the portal session (cookie) and its CSRF check', () => {
  let idpA: TestIdp;
  let idpB: TestIdp;
  let t: TestApp;
  let adminA: string;
  let adminB: string;
  let a: Portal;
  let b: Portal;

  async function signIn(host: string, idp: TestIdp, account: string) {
    idp.loginAs(account);
    const start = await t.app.inject({ method: 'GET', url: '/portal/login', headers: { host } });
    expect(start.statusCode, start.body).toBe(302);
    const location = new URL(String(start.headers.location));
    expect(location.searchParams.get('redirect_uri')).toBe(`https://${host}/portal/callback`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    const login = String(start.headers['set-cookie']);
    expect(login).toMatch(/^__Host-bh_portal_login=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    const callback = await followLogin(location, idp.caPem);
    return t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { host, cookie: login.split(';')[0] ?? '' } });
  }

  async function portal(host: string, idp: TestIdp, account: string): Promise<Portal> {
    const done = await signIn(host, idp, account);
    expect(done.statusCode, done.body).toBe(302);
    expect(done.headers.location).toBe('/portal/');
    const set = ([] as string[]).concat(done.headers['set-cookie'] ?? []);
    const session = set.find((value) => value.startsWith(`${PORTAL_COOKIE}=`)) ?? '';
    expect(session).toMatch(/^__Host-bh_portal=bhp_[A-Za-z0-9_-]+; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=\d+$/);
    const cookie = session.split(';')[0] ?? '';
    const view = await t.app.inject({ method: 'GET', url: '/portal/session', headers: { host, cookie } });
    expect(view.statusCode, view.body).toBe(200);
    return { cookie, csrf: view.json<{ csrf_token: string }>().csrf_token, host };
  }

  /** A state-changing call as the portal page makes it: same origin, the cookie and the CSRF header. */
  function send(p: Portal, method: 'POST' | 'PUT', url: string, payload: unknown, headers: Record<string, string> = {}) {
    return t.app.inject({ method, url, payload: payload as Record<string, unknown>, headers: { host: p.host, cookie: p.cookie, 'sec-fetch-site': 'same-origin', [CSRF_HEADER]: p.csrf, ...headers } });
  }

  beforeAll(async () => {
    const accounts = {
      alice: { email: 'alice@tenant-a.example', name: 'Alice', groups: [], tenant: 'tenant-a' },
      bob: { email: 'bob@tenant-b.example', name: 'Bob', groups: [], tenant: 'tenant-b' },
    };
    idpA = await startTestIdp({ clients: [{ clientId: 'portal-a', clientSecret: 'secret-a-1234567890', redirectUris: [`https://${hostA}/portal/callback`] }], accounts });
    idpB = await startTestIdp({ clients: [{ clientId: 'portal-b', clientSecret: 'secret-b-1234567890', redirectUris: [`https://${hostB}/portal/callback`] }], accounts });
    clearDiscoveryCache();
    t = await buildTestApp({ baseDomain: BASE });
    const call = injectCall(t.app);
    adminA = await portalTenant({ call, onboarding: (await t.tenantAdminHeaders('tenant-a', 'pooled')).authorization, slug: 'tenant-a', idp: idpA, clientId: 'portal-a', clientSecret: 'secret-a-1234567890', account: 'alice', role: 'admin' });
    adminB = await portalTenant({ call, onboarding: (await t.tenantAdminHeaders('tenant-b', 'pooled')).authorization, slug: 'tenant-b', idp: idpB, clientId: 'portal-b', clientSecret: 'secret-b-1234567890', account: 'bob', role: 'admin' });
    a = await portal(hostA, idpA, 'alice');
    b = await portal(hostB, idpB, 'bob');
  }, 120_000);

  afterAll(async () => {
    await t.close();
    await closeOidcConnections();
    await idpA.close();
    await idpB.close();
  });

  it('signs in through the host\'s tenant IdP: a bhp_ session in the cookie, the person and a CSRF value from /portal/session', async () => {
    const view = await t.app.inject({ method: 'GET', url: '/portal/session', headers: { host: hostA, cookie: a.cookie } });
    expect(view.headers['cache-control']).toBe('no-store');
    expect(view.json()).toMatchObject({ tenant: { slug: 'tenant-a' }, user: { user_name: 'alice@tenant-a.example', roles: ['admin'] }, permissions: expect.arrayContaining(['break-glass:decide']) as unknown });
    expect(a.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.csrf).not.toBe(b.csrf);
    // The cookie is a tenant credential on /v1, for its own tenant only.
    const tenant = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: { host: hostA, cookie: a.cookie } });
    expect(tenant.statusCode, tenant.body).toBe(200);
    expect(tenant.json()).toMatchObject({ slug: 'tenant-a' });
    const ledger = await t.app.inject({ method: 'GET', url: '/v1/audit?limit=50', headers: { authorization: adminA } });
    expect(ledger.json<{ items: { event_type: string; details: Record<string, unknown> }[] }>().items).toContainEqual(expect.objectContaining({ event_type: 'USER_LOGIN', details: expect.objectContaining({ via: 'portal' }) as unknown }));
  });

  it('refuses sign-in on a host that is no tenant\'s, and never builds the redirect from another host', async () => {
    for (const host of ['unknown.example.org', `nope.${BASE}`, '127.0.0.1', 'evil.example.test:8443']) {
      const start = await t.app.inject({ method: 'GET', url: '/portal/login', headers: { host } });
      expect(start.statusCode, host).toBe(404);
      expect(start.headers.location).toBeUndefined();
    }
    // A callback on the wrong tenant's host (or with no login in progress) returns to the wall with a code, and no session.
    const stray = await t.app.inject({ method: 'GET', url: '/portal/callback?code=x&state=y', headers: { host: hostB } });
    expect(stray.statusCode).toBe(302);
    expect(stray.headers.location).toBe('/portal/?error=oidc_state_mismatch');
    expect(String(stray.headers['set-cookie'])).not.toContain('bhp_');
  });

  it('takes the cookie or a bearer, never both, and never an operator session', async () => {
    const both = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: { host: hostA, cookie: a.cookie, authorization: adminA } });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ error: { code: 'invalid_request', details: { reason: 'two_credentials' } } });
    // The portal session is no bearer: it travels in its cookie only, where CSRF is checked.
    const asBearer = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: { host: hostA, authorization: `Bearer ${a.cookie.replace(`${PORTAL_COOKIE}=`, '')}` } });
    expect(asBearer.statusCode).toBe(401);
    const operator = (await t.adminHeaders()).authorization;
    const withOperator = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: { host: hostA, cookie: a.cookie, authorization: operator } });
    expect(withOperator.statusCode).toBe(403);
    // An operator session in the portal's cookie is no portal session.
    const operatorCookie = `${PORTAL_COOKIE}=${operator.replace('Bearer ', '')}`;
    for (const url of ['/v1/tenant', '/portal/session']) {
      const response = await t.app.inject({ method: 'GET', url, headers: { host: hostA, cookie: operatorCookie } });
      expect(response.statusCode, url).toBe(401);
    }
    // Nor is the tenant's API token (bht_): the portal's session endpoint takes bhp_ only.
    const apiCookie = await t.app.inject({ method: 'GET', url: '/portal/session', headers: { host: hostA, cookie: `${PORTAL_COOKIE}=${adminA.replace('Bearer ', '')}` } });
    expect(apiCookie.statusCode).toBe(401);
  });

  it('refuses a state-changing call without the CSRF value, with a wrong one, or from another origin', async () => {
    const url = '/v1/break-glass/settings';
    const body = { required_approvals: 2 };
    const cases: Record<string, Record<string, string>> = {
      'no CSRF header': { [CSRF_HEADER]: '' },
      'the other tenant\'s CSRF value': { [CSRF_HEADER]: b.csrf },
      'a cross-site request': { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      'another origin': { 'sec-fetch-site': '', origin: `https://${hostB}` },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const response = await send(a, 'PUT', url, body, headers);
      expect(response.statusCode, name).toBe(403);
      expect(response.json(), name).toMatchObject({ error: { code: 'csrf_rejected' } });
    }
    // Same origin by Origin alone (no Sec-Fetch-Site) with the right value passes; so does the page's own call.
    const byOrigin = await send(a, 'PUT', url, body, { 'sec-fetch-site': '', origin: `https://${hostA}` });
    expect(byOrigin.statusCode, byOrigin.body).toBe(200);
    const own = await send(a, 'PUT', url, { required_approvals: 1 });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ required_approvals: 1 });
    // Sign-out needs it too.
    const logout = await t.app.inject({ method: 'POST', url: '/portal/logout', headers: { host: hostA, cookie: a.cookie, 'sec-fetch-site': 'same-origin' } });
    expect(logout.statusCode).toBe(403);
  });

  it("approves break-glass for its own tenant only: A's cookie at B's request is not found", async () => {
    const operator = await t.adminHeaders();
    const forB = await t.app.inject({ method: 'POST', url: '/provider/v1/break-glass', headers: operator, payload: { tenant: 'tenant-b', reason: 'incident 42', scope: ['telemetry:read'], duration_minutes: 30 } });
    expect(forB.statusCode, forB.body).toBe(201);
    const id = forB.json<{ id: string }>().id;
    const cross = await send(a, 'POST', `/v1/break-glass/${id}/approve`, {});
    expect(cross.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/v1/break-glass/${id}`, headers: { host: hostA, cookie: a.cookie } })).statusCode).toBe(404);
    const listA = await t.app.inject({ method: 'GET', url: '/v1/break-glass', headers: { host: hostA, cookie: a.cookie } });
    expect(listA.json<{ items: unknown[] }>().items).toEqual([]);
    const approved = await send(b, 'POST', `/v1/break-glass/${id}/approve`, { comment: 'ok' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ state: 'approved' });
    const activated = await t.app.inject({ method: 'POST', url: `/provider/v1/break-glass/${id}/activate`, headers: operator, payload: {} });
    expect(activated.statusCode, activated.body).toBe(201);
    expect(adminB).toMatch(/^Bearer bht_/);
  });

  it("with a public URL, redirects to the tenant's own host at the public URL's port, whatever port the request names", async () => {
    const pub = await buildTestApp({ baseDomain: BASE, publicUrl: 'https://cp.example.test:9443' });
    try {
      await portalTenant({ call: injectCall(pub.app), onboarding: (await pub.tenantAdminHeaders('tenant-a', 'pooled')).authorization, slug: 'tenant-a', idp: idpA, clientId: 'portal-a', clientSecret: 'secret-a-1234567890', account: 'alice', role: 'admin' });
      for (const host of [hostA, `${hostA}:1234`, `${hostA.toUpperCase()}.:9443`]) {
        const start = await pub.app.inject({ method: 'GET', url: '/portal/login', headers: { host } });
        expect(start.statusCode, host).toBe(302);
        expect(new URL(String(start.headers.location)).searchParams.get('redirect_uri'), host).toBe(`https://${hostA}:9443/portal/callback`);
      }
    } finally {
      await pub.close();
    }
  });

  it('signs out: the session ends at once and the cookie is cleared', async () => {
    const c = await portal(hostA, idpA, 'alice');
    const logout = await t.app.inject({ method: 'POST', url: '/portal/logout', headers: { host: hostA, cookie: c.cookie, 'sec-fetch-site': 'same-origin', [CSRF_HEADER]: c.csrf } });
    expect(logout.statusCode, logout.body).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/^__Host-bh_portal=; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=0/);
    expect((await t.app.inject({ method: 'GET', url: '/portal/session', headers: { host: hostA, cookie: c.cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: { host: hostA, cookie: c.cookie } })).statusCode).toBe(401);
  });
});
