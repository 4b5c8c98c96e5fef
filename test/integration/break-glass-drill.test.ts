import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handOver, startControlPlane, TestClock, totpCode, type RunningControlPlane } from '../helpers/control-plane-harness';
import { tenantUserAuthorization, type Call } from '../helpers/tenant-user';

/** acme's test (ingest takes results for a tenant's own tests only). */
let TEST_ID = '';
const TELEMETRY_READS = ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary'];

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/**
 * Break-glass over real HTTPS (the control plane's own CA), with real operators signed in by
 * password + TOTP and a real tenant-admin token, on a clock the test moves. The first test is the
 * drill of the issue: operator requests → tenant approves → operator reads once → tenant revokes →
 * the read is refused → both ledgers show all of it and verify.
 */
describe('break-glass over real HTTPS', () => {
  const clock = new TestClock();
  let cp: RunningControlPlane;
  let dispatcher: Agent;
  let admin = '';
  let oncall = '';
  let tenantAdmin = '';
  /** A person of acme (tenant user, admin role): who approves. */
  let tenantApprover = '';
  let otherAdmin = '';
  const issued: string[] = [];

  async function api(method: 'GET' | 'POST' | 'PUT', path: string, token: string | null, body?: unknown): Promise<Answer> {
    const response = await request(`${cp.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async function signIn(username: string, password: string, secret: string): Promise<string> {
    const login = await api('POST', '/provider/v1/auth/login', null, { username, password, totp: await totpCode(secret, clock.now()) });
    expect(login.status, JSON.stringify(login.json)).toBe(201);
    const token = String(login.json.token);
    issued.push(token);
    return token;
  }

  const code = (answer: Answer) => (answer.json.error as { code?: string } | undefined)?.code;

  /** The event types of one request, oldest first, in a ledger page. */
  const eventsOf = (answer: Answer, id: string) =>
    (answer.json.items as { event_type: string; details: { request_id?: string } }[])
      .filter((entry) => entry.details.request_id === id)
      .map((entry) => entry.event_type)
      .reverse();

  async function tenantWithTelemetry(slug: string, model: string, marker: string): Promise<string> {
    expect((await api('POST', '/provider/v1/tenants', admin, { slug, name: slug, isolation_model: model })).status).toBe(201);
    const minted = await api('POST', `/provider/v1/tenants/${slug}/admin-tokens`, admin, { expires_in_seconds: 7 * 24 * 3600 });
    issued.push(String(minted.json.token));
    // The customer takes the tenant over; its people (through its own IdP settings) decide on break-glass.
    const call: Call = (method, path, authorization, body) => api(method, path, authorization === null ? null : authorization.replace(/^Bearer /, ''), body);
    const token = (await handOver(call, `Bearer ${String(minted.json.token)}`, slug)).authorization.replace(/^Bearer /, '');
    issued.push(token);
    const testId = String((await api('POST', '/v1/tests', token, { name: 'probe', target: `https://${marker}.example/health`, kind: 'http', interval_s: 60 })).json.id);
    if (slug === 'acme') TEST_ID = testId;
    const pool = String((await api('POST', '/v1/agent-pools', token, { name: 'edge', ttl_seconds: 600 })).json.id);
    const bootstrap = String((await api('POST', `/v1/agent-pools/${pool}/tokens`, token)).json.token);
    const enrolled = await api('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'probe' });
    const agent = String(enrolled.json.agent_token);
    const at = clock.now().getTime();
    const results = Array.from({ length: 12 }, (_, i) => ({ test_id: testId, ts: new Date(at - (12 - i) * 60_000).toISOString(), latency_ms: 20 + i, ok: i !== 3, target: `https://${marker}.example` }));
    const flow_events = [{ ts: new Date(at - 30_000).toISOString(), src: `${marker}-host`, dst: '198.51.100.7', protocol: 'udp', bytes: 99, packets: 3 }];
    const ingested = await api('POST', '/agent/v1/ingest', agent, { batch_id: `${slug}-1`, results, flow_events });
    expect(ingested.status, JSON.stringify(ingested.json)).toBe(202);
    return token;
  }

  beforeAll(async () => {
    cp = await startControlPlane({ clock: clock.now });
    dispatcher = new Agent({ connect: { ca: cp.caPem } });
    admin = await signIn(cp.admin.username, cp.admin.password, cp.admin.totpSecret);
    // The on-call operator: a provider_operator, enrolled with its own TOTP secret.
    const created = await api('POST', '/provider/v1/operators', admin, { username: 'oncall', roles: ['provider_operator'], password: 'oncall-long-password' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    // Its first sign-in enrolls its own authenticator (the admin never sees its secret).
    const enrollment = await api('POST', '/provider/v1/auth/enrollment', null, { username: 'oncall', password: 'oncall-long-password' });
    expect(enrollment.status, JSON.stringify(enrollment.json)).toBe(200);
    const confirmed = await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'oncall', password: 'oncall-long-password', totp: await totpCode(String(enrollment.json.secret), clock.now()) });
    expect(confirmed.status, JSON.stringify(confirmed.json)).toBe(201);
    oncall = String(confirmed.json.token);
    issued.push(oncall);
    tenantAdmin = await tenantWithTelemetry('acme', 'siloed', 'acme');
    otherAdmin = await tenantWithTelemetry('globex', 'pooled', 'globex');
    const call: Call = (method, path, authorization, body) => api(method, path, authorization === null ? null : authorization.replace(/^Bearer /, ''), body);
    tenantApprover = (await tenantUserAuthorization({ call, admin: `Bearer ${tenantAdmin}`, openStorage: () => cp.engine.openStorage(Buffer.from(cp.deploymentKey, 'base64')), role: 'admin' })).replace(/^Bearer /, '');
    issued.push(tenantApprover);
  });

  afterAll(async () => {
    await dispatcher.close();
    await cp.close();
  });

  it('drill: request → tenant approves → one read → tenant revokes → read refused → both ledgers show it all and verify', async () => {
    // Provisioning gave the operator nothing: without a grant every telemetry route is no_implicit_access.
    for (const route of TELEMETRY_READS) {
      const refused = await api('GET', route, oncall);
      expect(refused.status, route).toBe(403);
      expect(code(refused), route).toBe('no_implicit_access');
    }

    const opened = await api('POST', '/provider/v1/break-glass', oncall, { tenant: 'acme', reason: 'INC-7: probe latency spike, need raw results', scope: ['telemetry:read'], duration_minutes: 120 });
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    expect(opened.json).toMatchObject({ state: 'pending', requested_by: { username: 'oncall' } });
    const id = String(opened.json.id);

    const pending = await api('GET', '/v1/break-glass?state=pending', tenantAdmin);
    expect((pending.json.items as { id: string }[]).map((item) => item.id)).toEqual([id]);
    expect((await api('GET', '/v1/break-glass', otherAdmin)).json.items).toEqual([]);
    const approved = await api('POST', `/v1/break-glass/${id}/approve`, tenantApprover, { duration_minutes: 30, comment: 'for INC-7 only' });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    expect(approved.json).toMatchObject({ state: 'approved', duration_minutes: 30 });

    const activation = await api('POST', `/provider/v1/break-glass/${id}/activate`, oncall);
    expect(activation.status, JSON.stringify(activation.json)).toBe(201);
    const grant = String(activation.json.grant_token);
    issued.push(grant);
    expect(grant).toMatch(/^bhg_[A-Za-z0-9_-]{43}$/);
    expect(activation.json.expires_at).toBe(new Date(clock.now().getTime() + 30 * 60_000).toISOString());

    const read = await api('GET', `/v1/telemetry/results?test_id=${TEST_ID}&limit=50`, grant);
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    const items = read.json.items as { target: string }[];
    expect(items).toHaveLength(12);
    expect(new Set(items.map((item) => item.target))).toEqual(new Set(['https://acme.example']));

    const revoked = await api('POST', `/v1/break-glass/${id}/revoke`, tenantAdmin, { reason: 'INC-7 resolved' });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ state: 'revoked' });
    const refused = await api('GET', `/v1/telemetry/results?test_id=${TEST_ID}`, grant);
    expect(refused.status).toBe(401);
    expect(code(refused)).toBe('grant_revoked');
    expect((await api('GET', `/provider/v1/break-glass/${id}`, oncall)).json).toMatchObject({ state: 'revoked', end_reason: 'INC-7 resolved' });

    const expected = ['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_REVOKED'];
    const providerLedger = await api('GET', '/provider/v1/audit?tenant=acme&limit=1000', admin);
    const tenantLedger = await api('GET', '/v1/audit?limit=1000', tenantAdmin);
    expect(eventsOf(providerLedger, id)).toEqual(expected);
    expect(eventsOf(tenantLedger, id)).toEqual(expected);
    // The read names the route, the query and the rows it returned, in both ledgers.
    for (const ledger of [providerLedger, tenantLedger]) {
      const entry = (ledger.json.items as { seq: number; event_type: string; actor: string; details: Record<string, unknown> }[]).find((item) => item.event_type === 'BREAK_GLASS_READ');
      expect(entry).toMatchObject({ actor: 'operator:oncall', details: { request_id: id, route: '/v1/telemetry/results', query: { test_id: TEST_ID, limit: 50 }, rows: 12 } });
    }
    // The other tenant's ledger has none of it.
    expect(eventsOf(await api('GET', '/v1/audit?limit=1000', otherAdmin), id)).toEqual([]);

    const providerVerify = await api('GET', '/provider/v1/audit/verify', admin);
    const tenantVerify = await api('GET', '/v1/audit/verify', tenantAdmin);
    expect(providerVerify.json).toMatchObject({ ok: true });
    expect(tenantVerify.json).toMatchObject({ ok: true });
    // The tenant can check the read's entry against its tree head on its own (RFC 6962 inclusion proof).
    const readEntry = (tenantLedger.json.items as { seq: number; event_type: string; leaf_hash: string }[]).find((item) => item.event_type === 'BREAK_GLASS_READ');
    const proof = await api('GET', `/v1/audit/proof/${String(readEntry?.seq)}`, tenantAdmin);
    expect(proof.status).toBe(200);
    expect(proof.json).toMatchObject({ leaf_hash: readEntry?.leaf_hash, root: tenantVerify.json.root });
  });

  it('on the injectable clock a grant expires; it never writes, never reads another tenant, never reads outside its scope', async () => {
    const opened = await api('POST', '/provider/v1/break-glass', oncall, { tenant: 'acme', reason: 'INC-8', scope: ['telemetry:read'], duration_minutes: 15 });
    const id = String(opened.json.id);
    expect((await api('POST', `/v1/break-glass/${id}/approve`, tenantApprover)).status).toBe(200);
    const grant = String((await api('POST', `/provider/v1/break-glass/${id}/activate`, oncall)).json.grant_token);
    issued.push(grant);

    const wrongTenant = await api('GET', '/v1/telemetry/flows?tenant=globex', grant);
    expect([wrongTenant.status, code(wrongTenant)]).toEqual([403, 'grant_wrong_tenant']);
    const write = await api('POST', '/v1/insights', grant, {});
    expect([write.status, code(write)]).toEqual([403, 'grant_read_only']);
    const outOfScope = await api('GET', '/v1/tests', grant);
    expect([outOfScope.status, code(outOfScope)]).toEqual([403, 'grant_scope_missing']);
    const flows = await api('GET', '/v1/telemetry/flows', grant);
    expect(flows.json.items).toEqual([expect.objectContaining({ src: 'acme-host' })]);

    clock.advance(15 * 60);
    const expired = await api('GET', '/v1/telemetry/flows', grant);
    expect([expired.status, code(expired)]).toEqual([401, 'grant_expired']);
    const expected = ['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_EXPIRED'];
    expect(eventsOf(await api('GET', '/provider/v1/audit?tenant=acme&limit=1000', admin), id)).toEqual(expected);
    expect(eventsOf(await api('GET', '/v1/audit?limit=1000', tenantAdmin), id)).toEqual(expected);
    expect((await api('GET', '/provider/v1/audit/verify', admin)).json).toMatchObject({ ok: true });
    expect((await api('GET', '/v1/audit/verify', tenantAdmin)).json).toMatchObject({ ok: true });

    // No token's plaintext, the grants' included, is stored anywhere.
    await cp.app.close();
    const contents = await cp.engine.rawContents();
    for (const token of issued) {
      expect(contents.some((content) => content.includes(token))).toBe(false);
    }
  });
});
