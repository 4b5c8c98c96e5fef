import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BreakGlassGrant, BreakGlassRequestView } from '../../../contracts/break-glass';
import { buildTestApp, definedTests, enrolledAgentHeaders, totpCode, type TestApp } from '../../../test/helpers/control-plane-harness';
import { hashToken } from '../../auth/tokens';

type Headers = { authorization: string };
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** acme's test (ingest takes results for a tenant's own tests only). */
let TEST_ID = '';
const TELEMETRY_READS = ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary'];

/**
 * Break-glass over the route table with inject(), on the engine under test: operators open and
 * activate, tenant admins decide and revoke, a grant reads the scoped routes of its tenant only,
 * and every step is in both ledgers. Time moves on the app's injectable clock.
 */
describe('break-glass routes', () => {
  let t: TestApp;
  let admin: Headers;
  let oncall: Headers;
  let acme: Headers;
  let other: Headers;
  /** A tenant user of acme with the admin role: approvals come from people, not tokens. */
  let acmeApprover: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
    // The requester is not the operator who minted the tenants' admin tokens (the harness uses the admin).
    oncall = await t.operatorHeaders('oncall', ['provider_operator']);
    acme = await t.ownedTenantHeaders('acme', 'pooled');
    other = await t.ownedTenantHeaders('other-co', 'siloed');
    acmeApprover = await t.tenantUserHeaders(acme, 'admin');
    for (const [headers, marker] of [
      [acme, 'acme'],
      [other, 'other'],
    ] as const) {
      const agent = await enrolledAgentHeaders(t.app, headers);
      const [testId = ''] = await definedTests(t.app, headers);
      if (marker === 'acme') TEST_ID = testId;
      const at = new Date(t.clock.now().getTime() - 60_000).toISOString();
      const results = Array.from({ length: 5 }, (_, i) => ({ test_id: testId, ts: at, latency_ms: 10 + i, ok: true, target: `https://${marker}.example` }));
      const flow_events = [{ ts: at, src: `${marker}-src`, dst: '192.0.2.1', protocol: 'tcp', bytes: 1, packets: 1 }];
      const ingested = await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload: { batch_id: `b-${marker}`, results, flow_events } });
      expect(ingested.statusCode, ingested.body).toBe(202);
    }
  });

  afterEach(async () => {
    await t.close();
  });

  const call = (method: Method, url: string, headers: Headers | Record<string, never>, payload?: object) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  async function open(body: object = {}, headers: Headers = oncall) {
    const response = await call('POST', '/provider/v1/break-glass', headers, { tenant: 'acme', reason: 'incident INC-42: probes flapping', scope: ['telemetry:read'], duration_minutes: 60, ...body });
    expect(response.statusCode, response.body).toBe(201);
    return BreakGlassRequestView.parse(response.json());
  }

  async function approveAs(id: string, headers: Headers, body: object = {}) {
    return call('POST', `/v1/break-glass/${id}/approve`, headers, body);
  }

  async function activated(id: string): Promise<{ grant: Headers; expiresAt: string }> {
    const response = await call('POST', `/provider/v1/break-glass/${id}/activate`, oncall);
    expect(response.statusCode, response.body).toBe(201);
    const grant = BreakGlassGrant.parse(response.json());
    return { grant: { authorization: `Bearer ${grant.grant_token}` }, expiresAt: grant.expires_at };
  }

  async function activeGrant(): Promise<{ id: string; grant: Headers; expiresAt: string }> {
    const request = await open();
    expect((await approveAs(request.id, acmeApprover)).statusCode).toBe(200);
    return { id: request.id, ...(await activated(request.id)) };
  }

  const errorCode = (response: { body: string }) => (JSON.parse(response.body) as { error: { code: string } }).error.code;

  /** A fresh admin session (after the clock moved past the old one's idle timeout). */
  async function signInAgain(): Promise<Headers> {
    const login = await call('POST', '/provider/v1/auth/login', {}, { username: t.admin.username, password: t.admin.password, totp: await totpCode(t.admin.totpSecret, t.clock.now()) });
    expect(login.statusCode, login.body).toBe(201);
    return { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  }

  async function events(tenantHeaders: Headers, id: string, operator: Headers = admin): Promise<{ provider: string[]; tenant: string[] }> {
    const of = async (url: string, headers: Headers) => {
      const response = await call('GET', url, headers);
      expect(response.statusCode, response.body).toBe(200);
      return response
        .json<{ items: { event_type: string; details: { request_id?: string } }[] }>()
        .items.filter((entry) => entry.details.request_id === id)
        .map((entry) => entry.event_type)
        .reverse();
    };
    return { provider: await of('/provider/v1/audit?tenant=acme&limit=1000', operator), tenant: await of('/v1/audit?limit=1000', tenantHeaders) };
  }

  it('request → approve (shortened) → activate → the grant reads its tenant on all three routes, each read in both ledgers', async () => {
    const request = await open();
    expect(request).toMatchObject({ state: 'pending', scope: ['telemetry:read'], duration_minutes: 60, required_approvals: 1, requested_by: { username: 'oncall' } });
    const pending = await call('GET', '/v1/break-glass?state=pending', acme);
    expect(pending.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([request.id]);

    const approved = await approveAs(request.id, acmeApprover, { duration_minutes: 30, comment: 'ok for the incident' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(BreakGlassRequestView.parse(approved.json())).toMatchObject({ state: 'approved', duration_minutes: 30, requested_duration_minutes: 60 });

    const { grant, expiresAt } = await activated(request.id);
    expect(Date.parse(expiresAt) - t.clock.now().getTime()).toBe(30 * 60_000);
    const results = await call('GET', `/v1/telemetry/results?test_id=${TEST_ID}`, grant);
    expect(results.statusCode, results.body).toBe(200);
    const items = results.json<{ items: { target: string }[] }>().items;
    expect(items).toHaveLength(5);
    expect(new Set(items.map((item) => item.target))).toEqual(new Set(['https://acme.example']));
    const flows = await call('GET', '/v1/telemetry/flows', grant);
    expect(flows.json<{ items: { src: string }[] }>().items.map((item) => item.src)).toEqual(['acme-src']);
    const summary = await call('GET', '/v1/telemetry/summary', grant);
    expect(summary.json<{ tests: { results: number }[] }>().tests).toEqual([expect.objectContaining({ results: 5 })]);

    const expected = ['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_READ', 'BREAK_GLASS_READ'];
    expect(await events(acme, request.id)).toEqual({ provider: expected, tenant: expected });
    const reads = await call('GET', '/v1/audit?event_type=BREAK_GLASS_READ', acme);
    expect(reads.json<{ items: { actor: string; details: Record<string, unknown> }[] }>().items.at(-1)).toMatchObject({
      actor: 'operator:oncall',
      details: { request_id: request.id, route: '/v1/telemetry/results', query: { test_id: TEST_ID, limit: 100 }, rows: 5 },
    });
    for (const [url, headers] of [
      ['/provider/v1/audit/verify', admin],
      ['/v1/audit/verify', acme],
    ] as const) {
      expect((await call('GET', url, headers)).json(), url).toMatchObject({ ok: true });
    }
    // Only the grant's hash is stored.
    await t.app.close();
    const token = grant.authorization.slice('Bearer '.length);
    const contents = await t.engine.rawContents();
    expect(contents.some((content) => content.includes(token))).toBe(false);
    expect(contents.some((content) => content.includes(hashToken(token)))).toBe(true);
  });

  it('a grant used on another tenant is 403 grant_wrong_tenant; naming its own tenant (slug or id) is fine', async () => {
    const { grant } = await activeGrant();
    const wrong = await call('GET', '/v1/telemetry/results?tenant=other-co', grant);
    expect(wrong.statusCode).toBe(403);
    expect(errorCode(wrong)).toBe('grant_wrong_tenant');
    const otherId = (await call('GET', '/v1/tenant', other)).json<{ id: string }>().id;
    expect(errorCode(await call('GET', `/v1/telemetry/summary?tenant=${otherId}`, grant))).toBe('grant_wrong_tenant');
    const acmeId = (await call('GET', '/v1/tenant', acme)).json<{ id: string }>().id;
    for (const named of ['acme', acmeId]) {
      const own = await call('GET', `/v1/telemetry/results?tenant=${named}`, grant);
      expect(own.statusCode, own.body).toBe(200);
      expect(own.json<{ items: { target: string }[] }>().items.every((item) => item.target === 'https://acme.example')).toBe(true);
    }
  });

  it('after expiry on the app clock the grant is 401 grant_expired, and the expiry is ledgered once in both ledgers', async () => {
    const { id, grant } = await activeGrant();
    expect((await call('GET', '/v1/telemetry/results', grant)).statusCode).toBe(200);
    t.clock.advance(60 * 60 - 1);
    expect((await call('GET', '/v1/telemetry/results', grant)).statusCode).toBe(200);
    t.clock.advance(1);
    for (const route of TELEMETRY_READS) {
      const response = await call('GET', route, grant);
      expect(response.statusCode, route).toBe(401);
      expect(errorCode(response)).toBe('grant_expired');
    }
    const view = await call('GET', `/v1/break-glass/${id}`, acme);
    expect(view.json()).toMatchObject({ state: 'expired', end_reason: 'grant_expired' });
    const expected = ['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_READ', 'BREAK_GLASS_EXPIRED'];
    expect(await events(acme, id, await signInAgain())).toEqual({ provider: expected, tenant: expected });
  });

  it('after the tenant revokes, the next request with the grant is 401 grant_revoked', async () => {
    const { id, grant } = await activeGrant();
    expect((await call('GET', '/v1/telemetry/flows', grant)).statusCode).toBe(200);
    const revoked = await call('POST', `/v1/break-glass/${id}/revoke`, acme, { reason: 'incident closed' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ state: 'revoked', end_reason: 'incident closed' });
    const refused = await call('GET', '/v1/telemetry/flows', grant);
    expect(refused.statusCode).toBe(401);
    expect(errorCode(refused)).toBe('grant_revoked');
    expect(errorCode(await call('POST', `/v1/break-glass/${id}/revoke`, acme))).toBe('break_glass_not_active');
    expect((await events(acme, id)).provider).toEqual(['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_REVOKED']);
  });

  it('a grant is read-only and reaches only its scope: every tenant-plane route of the route table is checked', async () => {
    const { grant } = await activeGrant();
    const tenantRoutes = t.app.routeTable.filter((route) => route.plane === 'tenant');
    expect(tenantRoutes.map((route) => `${route.method} ${route.url}`)).toEqual(expect.arrayContaining([...TELEMETRY_READS.map((url) => `GET ${url}`), 'POST /v1/insights', 'POST /v1/tests', 'GET /v1/tests']));
    const seen = { read: 0, readOnly: 0, scope: 0 };
    for (const route of tenantRoutes) {
      const url = route.url.replace(/:([a-z_]+)/g, (_match, name: string) => (name === 'seq' ? '1' : '00000000-0000-4000-8000-000000000000'));
      const response = await t.app.inject({ method: route.method as Method, url, headers: grant, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }) });
      const label = `${route.method} ${route.url}`;
      if (route.method !== 'GET') {
        expect(response.statusCode, label).toBe(403);
        expect(errorCode(response), label).toBe('grant_read_only');
        seen.readOnly++;
      } else if (TELEMETRY_READS.includes(route.url)) {
        expect(response.statusCode, label).toBe(200);
        seen.read++;
      } else {
        expect(response.statusCode, label).toBe(403);
        expect(errorCode(response), label).toBe('grant_scope_missing');
        seen.scope++;
      }
    }
    expect(seen.read).toBe(3);
    expect(seen.readOnly).toBeGreaterThan(5);
    expect(seen.scope).toBeGreaterThan(5);
  });

  it('approvals come from tenant users: no token approves (not the tenant-admin token the requester minted, not any other), and an operator session never reaches the tenant plane', async () => {
    // Before handover: the onboarding token the requester itself minted for tenant beta.
    expect((await call('POST', '/provider/v1/tenants', admin, { slug: 'beta', name: 'Beta' })).statusCode).toBe(201);
    const minted = await call('POST', '/provider/v1/tenants/beta/admin-tokens', oncall, { expires_in_seconds: 3600 });
    expect(minted.statusCode).toBe(201);
    const onboarding = { authorization: `Bearer ${minted.json<{ token: string }>().token}` };
    const betaRequest = await open({ tenant: 'beta' });
    const refusedOnboarding = await approveAs(betaRequest.id, onboarding);
    expect(refusedOnboarding.statusCode).toBe(403);
    expect(errorCode(refusedOnboarding)).toBe('break_glass_approver_not_user');
    // After handover the provider mints no tenant credential at all.
    const late = await call('POST', '/provider/v1/tenants/acme/admin-tokens', oncall, { expires_in_seconds: 3600 });
    expect(late.statusCode).toBe(409);
    expect(errorCode(late)).toBe('tenant_handed_over');
    // The tenant's own admin token is not a person either.
    const request = await open();
    const refused = await approveAs(request.id, acme);
    expect(refused.statusCode).toBe(403);
    expect(errorCode(refused)).toBe('break_glass_approver_not_user');
    const asOperator = await approveAs(request.id, oncall);
    expect(asOperator.statusCode).toBe(403);
    expect(errorCode(asOperator)).toBe('no_implicit_access');
    expect((await call('GET', `/provider/v1/break-glass/${request.id}`, oncall)).json()).toMatchObject({ state: 'pending', approvals: [] });
    // A token may still say no: denying takes nothing away from the tenant.
    expect((await call('POST', `/v1/break-glass/${request.id}/deny`, acme, {})).statusCode).toBe(200);
    expect((await call('POST', `/v1/break-glass/${betaRequest.id}/deny`, onboarding, {})).statusCode).toBe(200);
  });

  it('activates once, for the requester only: double activation is 409, another operator 403', async () => {
    const request = await open();
    expect(errorCode(await call('POST', `/provider/v1/break-glass/${request.id}/activate`, oncall))).toBe('break_glass_not_approved');
    expect((await approveAs(request.id, acmeApprover)).statusCode).toBe(200);
    const byAdmin = await call('POST', `/provider/v1/break-glass/${request.id}/activate`, admin);
    expect(byAdmin.statusCode).toBe(403);
    expect(errorCode(byAdmin)).toBe('break_glass_not_requester');
    await activated(request.id);
    const again = await call('POST', `/provider/v1/break-glass/${request.id}/activate`, oncall);
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('break_glass_already_activated');
  });

  it('deny then activate is 409 break_glass_not_approved; a denied request cannot be approved', async () => {
    const request = await open();
    const denied = await call('POST', `/v1/break-glass/${request.id}/deny`, acme, { reason: 'use the runbook' });
    expect(denied.statusCode, denied.body).toBe(200);
    expect(denied.json()).toMatchObject({ state: 'denied', decision_note: 'use the runbook' });
    const activation = await call('POST', `/provider/v1/break-glass/${request.id}/activate`, oncall);
    expect(activation.statusCode).toBe(409);
    expect(errorCode(activation)).toBe('break_glass_not_approved');
    expect(errorCode(await approveAs(request.id, acmeApprover))).toBe('break_glass_not_pending');
    expect((await events(acme, request.id)).tenant).toEqual(['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_DENIED']);
  });

  it('an unanswered request expires after 12 hours: approving it then is 409 break_glass_expired, and the expiry is ledgered', async () => {
    const request = await open();
    t.clock.advance(12 * 3600 - 1);
    expect((await call('GET', `/v1/break-glass/${request.id}`, acme)).json()).toMatchObject({ state: 'pending' });
    t.clock.advance(1);
    const late = await approveAs(request.id, acmeApprover);
    expect(late.statusCode).toBe(409);
    expect(errorCode(late)).toBe('break_glass_expired');
    expect((await call('GET', '/v1/break-glass?state=expired', acme)).json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([request.id]);
    // The operator's session ended with the 12 hours too: sign in again to look.
    const fresh = await signInAgain();
    expect((await call('GET', `/provider/v1/break-glass/${request.id}`, fresh)).json()).toMatchObject({ state: 'expired', end_reason: 'request_expired' });
    const provider = await call('GET', '/provider/v1/audit?event_type=BREAK_GLASS_EXPIRED', fresh);
    expect(provider.json<{ items: { details: { request_id: string; phase: string } }[] }>().items.map((item) => item.details)).toEqual([expect.objectContaining({ request_id: request.id, phase: 'request' })]);
  });

  it('two approvers when the tenant requires them (PUT /v1/break-glass/settings); a new setting applies to new requests only', async () => {
    expect((await call('GET', '/v1/break-glass/settings', acme)).json()).toEqual({ required_approvals: 1, updated_at: null });
    const put = await call('PUT', '/v1/break-glass/settings', acme, { required_approvals: 2 });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ required_approvals: 2 });
    expect(errorCode(await call('PUT', '/v1/break-glass/settings', acme, { required_approvals: 3 }))).toBe('invalid_request');
    const request = await open();
    expect(request.required_approvals).toBe(2);
    // Lowering the bar afterwards does not lower it for the request already open.
    expect((await call('PUT', '/v1/break-glass/settings', acme, { required_approvals: 1 })).statusCode).toBe(200);

    const first = await approveAs(request.id, acmeApprover);
    expect(first.json()).toMatchObject({ state: 'pending', approvals: [expect.objectContaining({ by: expect.stringContaining(':user:') as unknown })] });
    const twice = await approveAs(request.id, acmeApprover);
    expect(twice.statusCode).toBe(409);
    expect(errorCode(twice)).toBe('break_glass_duplicate_approver');
    expect(errorCode(await call('POST', `/provider/v1/break-glass/${request.id}/activate`, oncall))).toBe('break_glass_not_approved');
    const secondApprover = await t.tenantUserHeaders(acme, 'admin');
    const approved = await approveAs(request.id, secondApprover);
    expect(approved.json()).toMatchObject({ state: 'approved' });
    expect(approved.json<{ approvals: unknown[] }>().approvals).toHaveLength(2);
    await activated(request.id);
    const settingsEvents = await call('GET', '/v1/audit?event_type=BREAK_GLASS_SETTINGS_CHANGED', acme);
    expect(settingsEvents.json<{ items: unknown[] }>().items).toHaveLength(2);
  });

  it('suspending the tenant ends every grant and open request for good; deleting it too', async () => {
    const { id, grant } = await activeGrant();
    const pending = await open();
    expect((await call('POST', '/provider/v1/tenants/acme/suspend', admin, { reason: 'unpaid' })).statusCode).toBe(200);
    const refused = await call('GET', '/v1/telemetry/results', grant);
    expect(refused.statusCode).toBe(401);
    expect(errorCode(refused)).toBe('grant_revoked');
    expect((await call('POST', '/provider/v1/tenants/acme/resume', admin, { reason: 'paid' })).statusCode).toBe(200);
    expect(errorCode(await call('GET', '/v1/telemetry/results', grant))).toBe('grant_revoked');
    for (const requestId of [id, pending.id]) {
      expect((await call('GET', `/provider/v1/break-glass/${requestId}`, oncall)).json(), requestId).toMatchObject({ state: 'revoked', end_reason: 'tenant_suspended' });
    }

    const fresh = await activeGrant();
    expect((await call('DELETE', '/provider/v1/tenants/acme', admin)).statusCode).toBe(204);
    expect((await call('GET', '/v1/telemetry/summary', fresh.grant)).statusCode).toBe(401);
    expect((await call('GET', `/provider/v1/break-glass/${fresh.id}`, oncall)).json()).toMatchObject({ state: 'revoked', end_reason: 'tenant_deleted' });
    const verify = await call('GET', '/provider/v1/audit/verify', admin);
    expect(verify.json()).toMatchObject({ ok: true });
  });

  it("cross-tenant: another tenant's admins neither see nor decide a request; operators list by tenant and state, paged", async () => {
    const forAcme = await open();
    t.clock.advance(1);
    const forOther = await open({ tenant: 'other-co' });
    const otherApprover = await t.tenantUserHeaders(other, 'admin');
    for (const action of ['approve', 'deny', 'revoke']) {
      const response = await call('POST', `/v1/break-glass/${forAcme.id}/${action}`, otherApprover);
      expect(response.statusCode, action).toBe(404);
    }
    expect((await call('GET', `/v1/break-glass/${forAcme.id}`, other)).statusCode).toBe(404);
    expect((await call('GET', '/v1/break-glass', other)).json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([forOther.id]);
    expect((await call('GET', '/v1/break-glass', acme)).json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([forAcme.id]);
    expect((await call('GET', `/provider/v1/break-glass/${forAcme.id}`, oncall)).json()).toMatchObject({ state: 'pending' });

    t.clock.advance(1);
    const third = await open();
    const firstPage = await call('GET', '/provider/v1/break-glass?limit=2', oncall);
    const page = firstPage.json<{ items: { id: string }[]; next_cursor: string | null }>();
    expect(page.items.map((item) => item.id)).toEqual([forAcme.id, forOther.id]);
    expect(page.next_cursor).not.toBeNull();
    const rest = await call('GET', `/provider/v1/break-glass?limit=2&cursor=${page.next_cursor ?? ''}`, oncall);
    expect(rest.json()).toMatchObject({ items: [expect.objectContaining({ id: third.id })], next_cursor: null });
    expect((await call('GET', '/provider/v1/break-glass?tenant=other-co', oncall)).json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([forOther.id]);
    expect((await call('GET', '/provider/v1/break-glass?state=approved', oncall)).json()).toMatchObject({ items: [] });
    // A role without break-glass:request (billing) cannot list or open.
    const billing = await t.operatorHeaders('billing', ['billing_viewer']);
    expect((await call('GET', '/provider/v1/break-glass', billing)).statusCode).toBe(403);
  });

  it('bad input is 400 invalid_request (never 500); unknown tenants and requests are 404; suspended tenants 409', async () => {
    const base = { tenant: 'acme', reason: 'why', scope: ['telemetry:read'], duration_minutes: 10 };
    for (const body of [
      { ...base, reason: undefined },
      { ...base, reason: '   ' },
      { ...base, reason: 'x'.repeat(1001) },
      { ...base, scope: [] },
      { ...base, scope: ['telemetry:write'] },
      { ...base, scope: ['telemetry:read', 'telemetry:read'] },
      { ...base, duration_minutes: 0 },
      { ...base, duration_minutes: 241 },
      { ...base, duration_minutes: 1.5 },
      { ...base, extra: true },
    ]) {
      const response = await call('POST', '/provider/v1/break-glass', oncall, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorCode(response)).toBe('invalid_request');
    }
    expect((await call('POST', '/provider/v1/break-glass', oncall, { ...base, reason: 'x'.repeat(1000) })).statusCode).toBe(201);
    expect((await call('POST', '/provider/v1/break-glass', oncall, { ...base, tenant: 'nope-co' })).statusCode).toBe(404);
    expect((await call('GET', '/provider/v1/break-glass/not-a-uuid', oncall)).statusCode).toBe(400);
    expect((await call('GET', '/provider/v1/break-glass/00000000-0000-4000-8000-000000000000', oncall)).statusCode).toBe(404);
    expect((await call('POST', '/v1/break-glass/00000000-0000-4000-8000-000000000000/approve', acmeApprover)).statusCode).toBe(404);
    const request = await open();
    expect(errorCode(await approveAs(request.id, acmeApprover, { duration_minutes: 61 }))).toBe('invalid_request');
    expect(errorCode(await approveAs(request.id, acmeApprover, { unknown: 1 }))).toBe('invalid_request');
    expect((await call('GET', '/provider/v1/break-glass?cursor=garbage', oncall)).statusCode).toBe(400);
    expect((await call('POST', '/provider/v1/tenants/acme/suspend', admin, { reason: 'test' })).statusCode).toBe(200);
    expect(errorCode(await call('POST', '/provider/v1/break-glass', oncall, base))).toBe('tenant_suspended');
    expect((await call('GET', '/v1/telemetry/results', { authorization: 'Bearer bhg_not-a-real-grant-token' })).statusCode).toBe(401);
  });
});
