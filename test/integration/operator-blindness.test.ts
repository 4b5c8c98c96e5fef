import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOidcConnections } from '../../control-plane/identity/oidc-relying-party';
import { startControlPlane, type RunningControlPlane } from '../helpers/control-plane-harness';
import { followLogin, startTestIdp, type TestIdp } from '../helpers/test-idp';

type Response = { status: number; json: Record<string, unknown> };

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SECRET_TARGET = 'https://payroll.initech.internal/health';

/**
 * The product's central promise, end to end over real HTTPS on the engine under test: no chain of
 * provider actions reaches a tenant's data. The chain that broke it (mint an admin token, mint a
 * SCIM token with it, point the tenant at an IdP the operator controls, sign in as an account of
 * the operator's choosing, put it in the admin group, read telemetry and approve the operator's
 * own break-glass request) is replayed before handover and after it: every step is refused or
 * harmless. Then the tenant's own person, through the tenant's own IdP, reads and approves.
 */
describe('operator blindness: no chain of provider actions reaches tenant data', () => {
  let cp: RunningControlPlane;
  let operatorIdp: TestIdp;
  let tenantIdp: TestIdp;
  let agent: Agent;
  let host: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    host = new URL(cp.url).host;
    const redirectUris = [`https://${host}/v1/auth/oidc/callback`];
    // The operator's own IdP, where it makes up whoever it likes.
    operatorIdp = await startTestIdp({ clients: [{ clientId: 'bulkhead', clientSecret: 'operator-idp-secret', redirectUris }], accounts: { mole: { email: 'ceo@initech.test', name: 'Not the CEO', groups: ['initech-admins'], tenant: 'initech' } } });
    // The tenant's IdP, with its real people.
    tenantIdp = await startTestIdp({ clients: [{ clientId: 'bulkhead', clientSecret: 'tenant-idp-secret', redirectUris }], accounts: { ceo: { email: 'ceo@initech.test', name: 'CEO', groups: ['initech-admins'], tenant: 'initech' } } });
    agent = new Agent({ connect: { ca: cp.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await closeOidcConnections();
    await operatorIdp.close();
    await tenantIdp.close();
    await cp.close();
  });

  async function call(method: string, path: string, token: string | null, body?: unknown, extra: Record<string, string> = {}): Promise<Response & { headers: Record<string, unknown> }> {
    const response = await request(`${cp.url}${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': method === 'PATCH' || path.startsWith('/scim/') ? 'application/scim+json' : 'application/json' }), ...extra },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }
  const code = (response: Response) => (response.json.error as { code?: string } | undefined)?.code;

  /** Signs `account` in at `idp` through the tenant's login route; answers the callback's response. */
  async function signIn(idp: TestIdp, account: string): Promise<Response> {
    idp.loginAs(account);
    const start = await call('GET', '/v1/auth/oidc/login?tenant=initech', null);
    if (start.status !== 302) return start;
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const callback = await followLogin(new URL(String(start.headers.location)), idp.caPem);
    return call('GET', `${callback.pathname}${callback.search}`, null, undefined, { cookie });
  }

  it('holds before handover, after handover, and lets the tenant in through its own people', async () => {
    const operator = String((await call('POST', '/provider/v1/auth/login', null, { username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode() })).json.token);
    expect((await call('POST', '/provider/v1/tenants', operator, { slug: 'initech', name: 'Initech', isolation_model: 'hybrid' })).status).toBe(201);

    // ---- Before handover: the provider onboards the tenant and tries the chain. ----
    // 1. An admin token: the onboarding credential.
    const onboarding = await call('POST', '/provider/v1/tenants/initech/admin-tokens', operator, { expires_in_seconds: 3600 });
    expect(onboarding.status).toBe(201);
    const bht = String(onboarding.json.token);
    // Agents are enrolled during onboarding; they send telemetry with a target only the tenant may read.
    const test = String((await call('POST', '/v1/tests', bht, { name: 'payroll', target: SECRET_TARGET, kind: 'http', interval_s: 60 })).json.id);
    const pool = String((await call('POST', '/v1/agent-pools', bht, { name: 'edge', ttl_seconds: 3600 })).json.id);
    const bootstrap = String((await call('POST', `/v1/agent-pools/${pool}/tokens`, bht)).json.token);
    const agentToken = String((await call('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'edge-1' })).json.agent_token);
    const ingested = await call('POST', '/agent/v1/ingest', agentToken, { batch_id: 'b-1', results: [{ test_id: test, ts: new Date().toISOString(), latency_ms: 12, ok: false, target: SECRET_TARGET, error: 'payroll down' }] });
    expect(ingested.status).toBe(202);
    // 2. A SCIM token with it.
    const bhs = String((await call('POST', '/v1/directory/scim-tokens', bht, { name: 'mole' })).json.token);
    // 3. The tenant pointed at the operator's IdP, tenant claim unset.
    expect((await call('PUT', '/provider/v1/tenants/initech/identity/oidc', operator, { issuer: operatorIdp.issuer, client_id: 'bulkhead', client_secret: 'operator-idp-secret', ca_pem: operatorIdp.caPem, claim: null, role_mapping: [{ group: 'initech-admins', role: 'admin' }] })).status).toBe(200);
    // 4. A sign-in as an account of the operator's choosing, put in the admin group over SCIM.
    const moleLogin = await signIn(operatorIdp, 'mole');
    expect(moleLogin.status).toBe(201);
    const mole = String(moleLogin.json.token);
    const moleUser = (moleLogin.json.user as { id: string }).id;
    const group = await call('POST', '/scim/v2/Groups', bhs, { schemas: [SCIM_GROUP], displayName: 'initech-admins', members: [{ value: moleUser }] });
    expect(group.status).toBe(201);
    expect((await call('GET', '/v1/me', mole)).json).toMatchObject({ user: { roles: ['admin'] } });
    // 5. Harmless: the session reads no telemetry and approves nothing; the grant never exists.
    for (const url of ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary']) {
      const refused = await call('GET', url, mole);
      expect(refused.status, url).toBe(403);
      expect(code(refused), url).toBe('handover_required');
    }
    const request1 = String((await call('POST', '/provider/v1/break-glass', operator, { tenant: 'initech', reason: 'routine check', scope: ['telemetry:read'], duration_minutes: 60 })).json.id);
    expect(code(await call('POST', `/v1/break-glass/${request1}/approve`, mole, {}))).toBe('handover_required');
    expect(code(await call('POST', `/provider/v1/break-glass/${request1}/activate`, operator))).toBe('break_glass_not_approved');

    // ---- The customer takes ownership: its own token, its own IdP, its own people. ----
    const handover = await call('POST', '/v1/handover', bht, {});
    expect(handover.status).toBe(201);
    const owned = String(handover.json.token);
    expect((await call('PUT', '/v1/identity/oidc', owned, { issuer: tenantIdp.issuer, client_id: 'bulkhead', client_secret: 'tenant-idp-secret', ca_pem: tenantIdp.caPem, claim: 'tenant' })).status).toBe(200);
    const tenantScim = String((await call('POST', '/v1/directory/scim-tokens', owned, { name: 'tenant idp' })).json.token);
    // The directory is the tenant's to clean: the user onboarding left behind under the CEO's address goes.
    expect((await call('DELETE', `/scim/v2/Users/${moleUser}`, tenantScim)).status).toBe(204);
    const ceo = await call('POST', '/scim/v2/Users', tenantScim, { schemas: [SCIM_USER], userName: 'ceo@initech.test', externalId: 'ceo', active: true, emails: [{ value: 'ceo@initech.test' }] });
    const groupId = String(group.json.id);
    const replaced = await call('PATCH', `/scim/v2/Groups/${groupId}`, tenantScim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'members', value: [{ value: String(ceo.json.id) }] }] });
    expect(replaced.status, JSON.stringify(replaced.json)).toBe(200);

    // ---- The chain again, after handover: every step refused. ----
    // 1. No new credentials from the provider plane.
    expect(code(await call('POST', '/provider/v1/tenants/initech/admin-tokens', operator, { expires_in_seconds: 3600 }))).toBe('tenant_handed_over');
    // 2. What the operator held is spent, loudly for the onboarding token.
    expect(code(await call('GET', '/v1/audit', bht))).toBe('onboarding_token_used');
    expect((await call('GET', '/scim/v2/Users', bhs)).status).toBe(401);
    // 3. The identity is the tenant's now.
    expect(code(await call('PUT', '/provider/v1/tenants/initech/identity/oidc', operator, { issuer: operatorIdp.issuer, client_id: 'bulkhead', client_secret: 'operator-idp-secret', ca_pem: operatorIdp.caPem, claim: null }))).toBe('tenant_handed_over');
    // 4. The operator's account cannot sign in: a login now goes to the tenant's IdP, and a code from
    // the operator's IdP is refused at the exchange. Its old session ended at handover.
    operatorIdp.loginAs('mole');
    const start = await call('GET', '/v1/auth/oidc/login?tenant=initech', null);
    expect(String(start.headers.location)).toContain(tenantIdp.issuer);
    const authorize = new URL(String(start.headers.location));
    const callback = await followLogin(new URL(`${authorize.pathname}${authorize.search}`, operatorIdp.issuer), operatorIdp.caPem);
    const smuggled = await call('GET', `${callback.pathname}${callback.search}`, null, undefined, { cookie: String(start.headers['set-cookie']).split(';')[0] ?? '' });
    expect(smuggled.status).toBe(401);
    expect((await call('GET', '/v1/me', mole)).status).toBe(401);
    // 5. Nothing reads telemetry or approves for the operator.
    expect((await call('GET', '/v1/telemetry/results', mole)).status).toBe(401);
    expect((await call('POST', `/v1/break-glass/${request1}/approve`, mole, {})).status).toBe(401);
    expect(code(await call('POST', `/provider/v1/break-glass/${request1}/activate`, operator))).toBe('break_glass_not_approved');

    // ---- The tenant's own person reads, and decides. ----
    const ceoLogin = await signIn(tenantIdp, 'ceo');
    expect(ceoLogin.status).toBe(201);
    const ceoSession = String(ceoLogin.json.token);
    const results = await call('GET', '/v1/telemetry/results', ceoSession);
    expect(results.status).toBe(200);
    expect(results.json.items).toEqual([expect.objectContaining({ target: SECRET_TARGET, error: 'payroll down' })]);
    expect((await call('POST', `/v1/break-glass/${request1}/approve`, ceoSession, {})).status).toBe(200);
    const grant = await call('POST', `/provider/v1/break-glass/${request1}/activate`, operator);
    expect(grant.status).toBe(201);
    expect((await call('GET', '/v1/telemetry/summary', String(grant.json.grant_token))).status).toBe(200);
    // Every read under the grant is in the tenant's ledger, and both ledgers verify.
    const ledger = (await call('GET', '/v1/audit?event_type=BREAK_GLASS_READ', owned)).json.items as unknown[];
    expect(ledger).toHaveLength(1);
    expect((await call('GET', '/v1/audit/verify', owned)).json).toMatchObject({ ok: true });
    expect((await call('GET', '/provider/v1/audit/verify', operator)).json).toMatchObject({ ok: true });
  });
});
