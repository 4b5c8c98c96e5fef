import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOidcConnections } from '../../control-plane/identity/oidc-relying-party';
import { startControlPlane, type RunningControlPlane } from '../helpers/control-plane-harness';
import { followLogin, startTestIdp, type TestIdp } from '../helpers/test-idp';

const GROUP = 'acme-admins';

/**
 * The journey of the identity issue as one test over real HTTPS (the control plane and the IdP each
 * with their own private CA): provision tenant → mint the onboarding token → configure OIDC → the
 * customer hands over, confirming those settings as its own → mint SCIM token → the IdP pushes users
 * and groups → the user signs in through OIDC with the mapped role and reads telemetry → SCIM
 * deactivates the user → the user's session dies on its next request.
 */
describe('identity journey over real HTTPS', () => {
  let cp: RunningControlPlane;
  let idp: TestIdp;
  let agent: Agent;
  const issued: string[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    const host = new URL(cp.url).host;
    idp = await startTestIdp({
      clients: [{ clientId: 'bulkhead', clientSecret: 'journey-client-secret', redirectUris: [`https://${host}/v1/auth/oidc/callback`] }],
      accounts: { alice: { email: 'alice@acme.example', name: 'Alice', groups: [GROUP], tenant: 'acme' } },
    });
    agent = new Agent({ connect: { ca: cp.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await closeOidcConnections();
    await idp.close();
    await cp.close();
  });

  async function call(method: string, path: string, token: string | null, body?: unknown, extra: Record<string, string> = {}) {
    const response = await request(`${cp.url}${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  it('runs end to end', async () => {
    const login = await call('POST', '/provider/v1/auth/login', null, { username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode() });
    const operator = String(login.json.token);
    issued.push(operator);
    expect((await call('POST', '/provider/v1/tenants', operator, { slug: 'acme', name: 'Acme Corp', isolation_model: 'siloed' })).status).toBe(201);
    const onboarding = String((await call('POST', '/provider/v1/tenants/acme/admin-tokens', operator, { expires_in_seconds: 3600 })).json.token);
    issued.push(onboarding);
    const oidc = await call('PUT', '/provider/v1/tenants/acme/identity/oidc', operator, {
      issuer: idp.issuer,
      client_id: 'bulkhead',
      client_secret: 'journey-client-secret',
      ca_pem: idp.caPem,
      role_mapping: [{ group: GROUP, role: 'admin' }],
    });
    expect(oidc.status).toBe(200);
    // The customer takes the tenant over and keeps the IdP settings entered during onboarding as its own.
    const handover = await call('POST', '/v1/handover', onboarding, { confirm_identity: true });
    expect(handover.status).toBe(201);
    expect(handover.json).toMatchObject({ identity_confirmed: true });
    const admin = String(handover.json.token);
    issued.push(admin);
    const scim = String((await call('POST', '/v1/directory/scim-tokens', admin, { name: 'acme idp' })).json.token);
    issued.push(scim);

    // The IdP pushes the user, then the group with the user in it.
    const user = await call('POST', '/scim/v2/Users', scim, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'alice@acme.example',
      // The IdP's subject for alice: sign-ins are linked to directory users by (issuer, subject).
      externalId: 'alice',
      active: true,
      emails: [{ value: 'alice@acme.example', type: 'work', primary: true }],
    });
    expect(user.status).toBe(201);
    const userId = String(user.json.id);
    expect((await call('POST', '/scim/v2/Groups', scim, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: GROUP, members: [{ value: userId }] })).status).toBe(201);

    // The user signs in through the tenant's IdP (authorization code + PKCE), browser-less.
    idp.loginAs('alice');
    const start = await call('GET', '/v1/auth/oidc/login?tenant=acme', null);
    expect(start.status).toBe(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const callback = await followLogin(new URL(String(start.headers.location)), idp.caPem);
    const session = await call('GET', `${callback.pathname}${callback.search}`, null, undefined, { cookie });
    expect(session.status).toBe(201);
    expect(session.json.user).toMatchObject({ id: userId, roles: ['admin'] });
    const sessionToken = String(session.json.token);
    issued.push(sessionToken);
    expect((await call('GET', '/v1/tenant', sessionToken)).json).toMatchObject({ slug: 'acme', counts: { users: 1 } });
    // A tenant-owned session: it reads the tenant's telemetry.
    expect((await call('GET', '/v1/telemetry/results', sessionToken)).status).toBe(200);

    // SCIM deactivates the user: the session dies on its very next request.
    const deactivated = await call('PATCH', `/scim/v2/Users/${userId}`, scim, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect((await call('GET', '/v1/tenant', sessionToken)).status).toBe(401);

    // Operator tokens never reach tenant data, and no token plaintext was stored anywhere.
    expect((await call('GET', '/scim/v2/Users', operator)).status).toBe(403);
    await cp.app.close();
    const contents = await cp.engine.rawContents();
    for (const token of issued) {
      expect(contents.some((content) => content.includes(token))).toBe(false);
    }
  });
});
