import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { GROUP_SCHEMA, PATCH_OP, scimCall, scimTenant, USER_SCHEMA, type ScimTenant } from '../../../test/helpers/scim-fixtures';
import { followLogin, startTestIdp, type TestIdp } from '../../../test/helpers/test-idp';
import { clearDiscoveryCache, closeOidcConnections } from '../../identity/oidc-relying-party';

const HOST = 'bulkhead.test';
const REDIRECT = `https://${HOST}/v1/auth/oidc/callback`;

/**
 * The identity journey of the issue on one control plane: tenant-admin token → OIDC configured →
 * SCIM token → the IdP pushes a user and a group → the user signs in through OIDC with the mapped
 * role → SCIM deactivates the user → the session dies on its next request. Real oidc-provider IdPs
 * over HTTPS, one per tenant.
 */
describe('tenant sign-in through the tenant\'s own OIDC IdP', () => {
  let idpA: TestIdp;
  let idpB: TestIdp;
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;

  beforeAll(async () => {
    const accounts = {
      alice: { email: 'alice@acme.example', name: 'Alice', groups: ['acme-admins'], tenant: 'tenant-a' },
      bob: { email: 'bob@globex.example', name: 'Bob', groups: [], tenant: 'tenant-b' },
      mallory: { email: 'mallory@acme.example', name: 'Mallory', groups: [], tenant: 'tenant-b' },
      // Another subject asserting alice's address: never alice.
      imposter: { email: 'alice@acme.example', name: 'Not Alice', groups: ['acme-admins'], tenant: 'tenant-a' },
      // Multi-valued tenant claims: one that names tenant-a among others, one that does not name it.
      multi: { email: 'multi@acme.example', name: 'Multi', groups: [], tenant: ['tenant-a', 'tenant-b'] },
      elsewhere: { email: 'elsewhere@acme.example', name: 'Elsewhere', groups: [], tenant: ['tenant-b', 'tenant-c'] },
      carol: { email: 'carol@acme.example', name: 'Carol', groups: [], tenant: 'tenant-a' },
    };
    idpA = await startTestIdp({ clients: [{ clientId: 'bulkhead-a', clientSecret: 'secret-a-1234567890', redirectUris: [REDIRECT] }], accounts });
    idpB = await startTestIdp({ clients: [{ clientId: 'bulkhead-b', clientSecret: 'secret-b-1234567890', redirectUris: [REDIRECT] }], accounts });
  });

  afterAll(async () => {
    await closeOidcConnections();
    await idpA.close();
    await idpB.close();
  });

  beforeEach(async () => {
    clearDiscoveryCache();
    t = await buildTestApp();
    a = await scimTenant(t, 'tenant-a', 'siloed');
    b = await scimTenant(t, 'tenant-b', 'pooled');
    const operator = await t.adminHeaders();
    for (const [tenant, idp, clientId, secret] of [
      ['tenant-a', idpA, 'bulkhead-a', 'secret-a-1234567890'],
      ['tenant-b', idpB, 'bulkhead-b', 'secret-b-1234567890'],
    ] as const) {
      const put = await t.app.inject({
        method: 'PUT',
        url: `/provider/v1/tenants/${tenant}/identity/oidc`,
        headers: operator,
        payload: { issuer: idp.issuer, client_id: clientId, client_secret: secret, ca_pem: idp.caPem, role_mapping: [{ group: 'acme-admins', role: 'admin' }] },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.body).not.toContain(secret);
    }
  });

  afterEach(async () => {
    await t.close();
  });

  /** Runs the browser part: login route → IdP → callback; returns the callback's answer. */
  async function signIn(tenant: string, idp: TestIdp, account: string) {
    idp.loginAs(account);
    const start = await t.app.inject({ method: 'GET', url: `/v1/auth/oidc/login?tenant=${tenant}`, headers: { host: HOST } });
    expect(start.statusCode, start.body).toBe(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const location = new URL(String(start.headers.location));
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    const callback = await followLogin(location, idp.caPem);
    return t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { host: HOST, cookie } });
  }

  it('runs the journey: SCIM-pushed user signs in with the mapped role, and deactivation kills the session at once', async () => {
    // The IdP pushes the user and the group through SCIM.
    const user = await scimCall(t, 'POST', '/scim/v2/Users', a.scim, { schemas: [USER_SCHEMA], userName: 'alice@acme.example', externalId: 'alice', active: true, emails: [{ value: 'alice@acme.example', type: 'work', primary: true }] });
    expect(user.statusCode).toBe(201);
    const userId = user.json<{ id: string }>().id;
    const group = await scimCall(t, 'POST', '/scim/v2/Groups', a.scim, { schemas: [GROUP_SCHEMA], displayName: 'acme-admins', members: [{ value: userId }] });
    expect(group.statusCode).toBe(201);

    const signedIn = await signIn('tenant-a', idpA, 'alice');
    expect(signedIn.statusCode, signedIn.body).toBe(201);
    const session = signedIn.json<{ token: string; user: { id: string; roles: string[] } }>();
    expect(session.token).toMatch(/^bht_/);
    expect(session.user).toMatchObject({ id: userId, roles: ['admin'] });
    const headers = { authorization: `Bearer ${session.token}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers })).json()).toMatchObject({ user: { id: userId, roles: ['admin'] } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers })).json()).toMatchObject({ slug: 'tenant-a' });

    // SCIM deactivates the user (Entra shape): the very next request with the session is 401.
    const deactivate = await scimCall(t, 'PATCH', `/scim/v2/Users/${userId}`, a.scim, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(deactivate.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers })).statusCode).toBe(401);
    const ledger = (await t.app.inject({ method: 'GET', url: '/v1/audit', headers: a.admin })).json<{ items: { event_type: string }[] }>();
    expect(ledger.items.map((entry) => entry.event_type)).toEqual(expect.arrayContaining(['IDENTITY_CHANGED', 'USER_LOGIN', 'USER_DEACTIVATED']));
  });

  it('ends the user\'s sessions when SCIM deactivates by PUT or deletes the user', async () => {
    const user = await scimCall(t, 'POST', '/scim/v2/Users', a.scim, { schemas: [USER_SCHEMA], userName: 'alice@acme.example', externalId: 'alice', active: true });
    const userId = user.json<{ id: string }>().id;
    const first = (await signIn('tenant-a', idpA, 'alice')).json<{ token: string }>().token;
    const second = (await signIn('tenant-a', idpA, 'alice')).json<{ token: string }>().token;
    for (const token of [first, second]) {
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    }
    const put = await scimCall(t, 'PUT', `/scim/v2/Users/${userId}`, a.scim, { schemas: [USER_SCHEMA], userName: 'alice@acme.example', externalId: 'alice', active: false });
    expect(put.statusCode).toBe(200);
    for (const token of [first, second]) {
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    }
    // Reactivated, a new sign-in works; deleting the user ends that session too.
    await scimCall(t, 'PATCH', `/scim/v2/Users/${userId}`, a.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
    const third = (await signIn('tenant-a', idpA, 'alice')).json<{ token: string }>().token;
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${third}` } })).statusCode).toBe(200);
    expect((await scimCall(t, 'DELETE', `/scim/v2/Users/${userId}`, a.scim)).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${third}` } })).statusCode).toBe(401);
  });

  it('links a person by (issuer, subject) only: another subject asserting the same email is refused, not given that user', async () => {
    const user = await scimCall(t, 'POST', '/scim/v2/Users', a.scim, { schemas: [USER_SCHEMA], userName: 'alice@acme.example', externalId: 'alice', active: true });
    const userId = user.json<{ id: string }>().id;
    await scimCall(t, 'POST', '/scim/v2/Groups', a.scim, { schemas: [GROUP_SCHEMA], displayName: 'acme-admins', members: [{ value: userId }] });
    const imposter = await signIn('tenant-a', idpA, 'imposter');
    expect(imposter.statusCode).toBe(409);
    expect(imposter.json()).toMatchObject({ error: { code: 'conflict', details: { reason: 'oidc_unlinked_user' } } });
    // The real subject links to the SCIM user (its externalId), and stays linked when the externalId changes.
    expect((await signIn('tenant-a', idpA, 'alice')).json()).toMatchObject({ user: { id: userId, roles: ['admin'] } });
    await scimCall(t, 'PATCH', `/scim/v2/Users/${userId}`, a.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'externalId', value: 'renamed-in-idp' }] });
    expect((await signIn('tenant-a', idpA, 'alice')).json()).toMatchObject({ user: { id: userId } });
    // A subject first seen gets a user of its own, with no roles.
    const carol = (await signIn('tenant-a', idpA, 'carol')).json<{ user: { id: string; roles: string[] } }>();
    expect(carol.user.id).not.toBe(userId);
    expect(carol.user.roles).toEqual([]);
  });

  it('refuses a multi-valued tenant claim, whether or not it names the tenant', async () => {
    for (const account of ['multi', 'elsewhere']) {
      const refused = await signIn('tenant-a', idpA, account);
      expect(refused.statusCode, account).toBe(403);
      expect(refused.json()).toMatchObject({ error: { details: { reason: 'oidc_wrong_tenant' } } });
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: a.admin })).json()).toMatchObject({ counts: { users: 0 } });
  });

  it('after handover only IdP settings the tenant owns sign people in, and only their sessions read telemetry', async () => {
    const user = await scimCall(t, 'POST', '/scim/v2/Users', a.scim, { schemas: [USER_SCHEMA], userName: 'alice@acme.example', externalId: 'alice', active: true });
    await scimCall(t, 'POST', '/scim/v2/Groups', a.scim, { schemas: [GROUP_SCHEMA], displayName: 'acme-admins', members: [{ value: user.json<{ id: string }>().id }] });
    // Before handover a session exists, but what it may read is withheld: the provider entered these IdP settings.
    const before = { authorization: `Bearer ${(await signIn('tenant-a', idpA, 'alice')).json<{ token: string }>().token}` };
    const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: before })).json<{ permissions: string[] }>();
    expect(me.permissions).toContain('directory:write');
    expect(me.permissions).not.toContain('telemetry:read');
    expect((await t.app.inject({ method: 'GET', url: '/v1/telemetry/results', headers: before })).json()).toMatchObject({ error: { code: 'handover_required' } });

    const handover = await t.app.inject({ method: 'POST', url: '/v1/handover', headers: a.admin, payload: {} });
    expect(handover.statusCode, handover.body).toBe(201);
    const owned = { authorization: `Bearer ${handover.json<{ token: string }>().token}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: before })).statusCode).toBe(401);
    // The provider can no longer change the tenant's identity; the unconfirmed settings sign no one in.
    const put = await t.app.inject({ method: 'PUT', url: '/provider/v1/tenants/tenant-a/identity/oidc', headers: await t.adminHeaders(), payload: { issuer: 'https://evil.example', client_id: 'x', client_secret: 'y' } });
    expect(put.statusCode).toBe(409);
    expect(put.json()).toMatchObject({ error: { code: 'tenant_handed_over' } });
    idpA.loginAs('alice');
    const blocked = await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=tenant-a', headers: { host: HOST } });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ error: { code: 'identity_not_tenant_owned' } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/identity/oidc', headers: owned })).json()).toMatchObject({ owner: 'provider', issuer: idpA.issuer });
    // The tenant confirms them as its own: now its people sign in, and their sessions read telemetry.
    const confirmed = await t.app.inject({ method: 'POST', url: '/v1/identity/oidc/confirm', headers: owned, payload: {} });
    expect(confirmed.json()).toMatchObject({ owner: 'tenant' });
    const after = { authorization: `Bearer ${(await signIn('tenant-a', idpA, 'alice')).json<{ token: string }>().token}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: after })).json<{ permissions: string[] }>().permissions).toContain('telemetry:read');
    expect((await t.app.inject({ method: 'GET', url: '/v1/telemetry/results', headers: after })).statusCode).toBe(200);
  });

  it('gives a user first seen through OIDC no roles: only their own profile', async () => {
    const signedIn = await signIn('tenant-b', idpB, 'bob');
    expect(signedIn.statusCode, signedIn.body).toBe(201);
    const session = signedIn.json<{ token: string; user: { roles: string[] } }>();
    expect(session.user.roles).toEqual([]);
    const headers = { authorization: `Bearer ${session.token}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers })).json()).toMatchObject({ user: { user_name: 'bob@globex.example', roles: [] }, permissions: [] });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/audit', headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: b.admin })).json()).toMatchObject({ counts: { users: 1 } });
  });

  it('never opens a session in tenant B with tenant A\'s IdP, nor for an account whose tenant claim names another tenant', async () => {
    // A login started for tenant B but completed with a code from A's IdP: the pending login is B's, so the issuer check fails.
    idpA.loginAs('alice');
    const startA = await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=tenant-a', headers: { host: HOST } });
    const callbackA = await followLogin(new URL(String(startA.headers.location)), idpA.caPem);
    const startB = await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=tenant-b', headers: { host: HOST } });
    const cookieB = String(startB.headers['set-cookie']).split(';')[0] ?? '';
    const crossed = await t.app.inject({ method: 'GET', url: `${callbackA.pathname}${callbackA.search}`, headers: { host: HOST, cookie: cookieB } });
    expect(crossed.statusCode).toBe(401);
    expect(crossed.json()).toMatchObject({ error: { code: 'unauthorized' } });
    // Mallory is at A's IdP but her tenant claim says tenant-b.
    const wrongClaim = await signIn('tenant-a', idpA, 'mallory');
    expect(wrongClaim.statusCode).toBe(403);
    expect(wrongClaim.json()).toMatchObject({ error: { details: { reason: 'oidc_wrong_tenant' } } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: a.admin })).json()).toMatchObject({ counts: { users: 0 } });
  });

  it('refuses a callback without the login cookie, a replayed callback, and an unknown or suspended tenant', async () => {
    idpA.loginAs('alice');
    const start = await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=tenant-a', headers: { host: HOST } });
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const callback = await followLogin(new URL(String(start.headers.location)), idpA.caPem);
    const url = `${callback.pathname}${callback.search}`;
    expect((await t.app.inject({ method: 'GET', url, headers: { host: HOST } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url, headers: { host: HOST, cookie } })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url, headers: { host: HOST, cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=nobody-here', headers: { host: HOST } })).statusCode).toBe(404);
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/suspend', headers: await t.adminHeaders(), payload: { reason: 'x' } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/oidc/login?tenant=tenant-a', headers: { host: HOST } })).statusCode).toBe(404);
  });

  it('validates the provider\'s OIDC settings and never returns the secret', async () => {
    const operator = await t.adminHeaders();
    for (const payload of [
      { issuer: 'http://idp.example', client_id: 'x', client_secret: 'y' },
      { issuer: 'https://idp.example', client_id: '', client_secret: 'y' },
      { issuer: 'https://idp.example', client_id: 'x', client_secret: 'y', role_mapping: [{ group: 'g', role: 'ghost' }] },
      { issuer: 'https://idp.example', client_id: 'x', client_secret: 'y', extra: true },
    ]) {
      expect((await t.app.inject({ method: 'PUT', url: '/provider/v1/tenants/tenant-a/identity/oidc', headers: operator, payload })).statusCode, JSON.stringify(payload)).toBe(400);
    }
    const contents = await t.engine.rawContents();
    expect(contents.some((content) => content.includes('secret-a-1234567890'))).toBe(false);
  });
});
