import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandoverResponse, RecoveryView } from '../../../contracts/tenants';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

/**
 * Who holds a tenant: handover (the customer takes ownership with its onboarding token and every
 * provider-minted credential ends), tenant-owned admin tokens, and recovery (slow, visible,
 * cancellable). On the engine under test, with inject() and the app's hand-moved clock.
 */
describe('handover and recovery', () => {
  let t: TestApp;
  let provider: Headers;
  let onboarding: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    provider = await t.adminHeaders();
    onboarding = await t.tenantAdminHeaders('initech', 'hybrid');
  });

  afterEach(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Headers | Record<string, never>, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  const code = (response: { json: () => unknown }) => (response.json() as { error?: { code?: string } }).error?.code;
  const events = async (headers: Headers, url = '/v1/audit?limit=1000') => (await call('GET', url, headers)).json<{ items: { event_type: string; details: Record<string, unknown> }[] }>().items;

  async function handover(body: object = {}): Promise<HandoverResponse> {
    const response = await call('POST', '/v1/handover', onboarding, body);
    expect(response.statusCode, response.body).toBe(201);
    return HandoverResponse.parse(response.json());
  }

  it('hands over: a tenant-owned token the provider never sees; every provider-minted credential ends, agents keep working', async () => {
    const scim = (await call('POST', '/v1/directory/scim-tokens', onboarding, { name: 'idp' })).json<{ token: string }>();
    const pool = (await call('POST', '/v1/agent-pools', onboarding, { name: 'edge', ttl_seconds: 3600 })).json<{ id: string }>();
    const bootstrap = (await call('POST', `/v1/agent-pools/${pool.id}/tokens`, onboarding)).json<{ token: string }>();
    const agent = await enrolledAgentHeaders(t.app, onboarding);
    const [testId = ''] = await definedTests(t.app, onboarding);

    const done = await handover();
    expect(done.token).toMatch(/^bht_/);
    expect(done.revoked).toMatchObject({ admin: 1, scim: 1, bootstrap: 2 });
    const owned = bearer(done.token);
    expect((await call('GET', '/v1/tenant', owned)).json()).toMatchObject({ slug: 'initech', handed_over_at: done.handed_over_at });
    // The provider plane sees that it happened, not the token.
    const providerView = await call('GET', '/provider/v1/tenants/initech', provider);
    expect(providerView.json()).toMatchObject({ handed_over_at: done.handed_over_at });
    const providerLedger = await events(provider, '/provider/v1/audit?event_type=TENANT_HANDED_OVER');
    expect(providerLedger).toHaveLength(1);
    expect(JSON.stringify(providerLedger)).not.toContain(done.token);
    // Provider-minted credentials and what they minted are gone.
    expect((await call('GET', '/scim/v2/Users', bearer(scim.token))).statusCode).toBe(401);
    expect((await call('POST', '/agent/v1/enroll', {}, { bootstrap_token: bootstrap.token, name: 'late' })).statusCode).toBe(401);
    // Agents already enrolled keep sending.
    const ingest = await call('POST', '/agent/v1/ingest', agent, { batch_id: 'after-handover', results: [{ test_id: testId, ts: t.clock.now().toISOString(), latency_ms: 3, ok: true }] });
    expect(ingest.statusCode).toBe(202);
    // The provider mints no more tenant credentials and no longer sets the identity.
    expect(code(await call('POST', '/provider/v1/tenants/initech/admin-tokens', provider, { expires_in_seconds: 3600 }))).toBe('tenant_handed_over');
    expect(code(await call('PUT', '/provider/v1/tenants/initech/identity/oidc', provider, { issuer: 'https://idp.example', client_id: 'x', client_secret: 'y' }))).toBe('tenant_handed_over');
    // The tenant mints its own admin tokens.
    const more = await call('POST', '/v1/admin-tokens', owned, { expires_in_seconds: 3600, name: 'automation' });
    expect(more.statusCode).toBe(201);
    expect((await call('GET', '/v1/tenant', bearer(more.json<{ token: string }>().token))).statusCode).toBe(200);
  });

  it('a spent onboarding token says so loudly (401 onboarding_token_used) and the attempt is in both ledgers', async () => {
    const done = await handover();
    const reused = await call('GET', '/v1/tenant', onboarding);
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ error: { code: 'onboarding_token_used', details: { handed_over_at: done.handed_over_at } } });
    expect(reused.json<{ error: { message: string } }>().error.message).toMatch(/handed over/);
    expect(code(await call('POST', '/v1/handover', onboarding, {}))).toBe('onboarding_token_used');
    expect((await events(bearer(done.token))).filter((entry) => entry.event_type === 'ONBOARDING_TOKEN_REJECTED')).toHaveLength(2);
    expect(await events(provider, '/provider/v1/audit?event_type=ONBOARDING_TOKEN_REJECTED')).toHaveLength(2);
  });

  it('hands over once: a second onboarding token is spent by the first handover; only an onboarding token hands over', async () => {
    const second = bearer((await call('POST', '/provider/v1/tenants/initech/admin-tokens', provider, { expires_in_seconds: 3600 })).json<{ token: string }>().token);
    const done = await handover();
    expect(code(await call('POST', '/v1/handover', second, {}))).toBe('onboarding_token_used');
    expect(code(await call('POST', '/v1/handover', bearer(done.token), {}))).toBe('forbidden');
    // confirm_identity with no identity to confirm is refused and changes nothing.
    const fresh = await t.tenantAdminHeaders('globex', 'pooled');
    const refused = await call('POST', '/v1/handover', fresh, { confirm_identity: true });
    expect(refused.statusCode).toBe(409);
    expect((await call('GET', '/v1/tenant', fresh)).json()).toMatchObject({ handed_over_at: null });
  });

  it('recovery waits out its period, any tenant credential can cancel it, and completing it starts onboarding again', async () => {
    const owned = bearer((await handover()).token);
    const before = await call('POST', '/provider/v1/tenants/initech/recoveries', provider, { reason: 'customer lost every credential (ticket 881)' });
    expect(before.statusCode, before.body).toBe(201);
    const first = RecoveryView.parse(before.json());
    expect(Date.parse(first.available_at) - t.clock.now().getTime()).toBe(72 * 3600 * 1000);
    expect(code(await call('POST', '/provider/v1/tenants/initech/recoveries', provider, { reason: 'again' }))).toBe('recovery_in_progress');
    // The tenant sees it and cancels it.
    expect((await call('GET', '/v1/recoveries', owned)).json()).toMatchObject({ items: [{ id: first.id, state: 'waiting' }] });
    const cancelled = await call('POST', `/v1/recoveries/${first.id}/cancel`, owned, { reason: 'we did not ask for this' });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', end_reason: 'we did not ask for this' });
    t.clock.advance(73 * 3600);
    let operator = await t.freshAdminHeaders();
    expect(code(await call('POST', `/provider/v1/recoveries/${first.id}/complete`, operator, {}))).toBe('recovery_not_open');

    // A second request nobody cancels: too early, then done.
    const second = RecoveryView.parse((await call('POST', '/provider/v1/tenants/initech/recoveries', operator, { reason: 'ticket 882' })).json());
    t.clock.advance(71 * 3600);
    operator = await t.freshAdminHeaders();
    const early = await call('POST', `/provider/v1/recoveries/${second.id}/complete`, operator, {});
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'recovery_waiting', details: { available_at: second.available_at } } });
    t.clock.advance(2 * 3600);
    operator = await t.freshAdminHeaders();
    const completed = await call('POST', `/provider/v1/recoveries/${second.id}/complete`, operator, {});
    expect(completed.statusCode, completed.body).toBe(201);
    const fresh = bearer(completed.json<{ token: string }>().token);
    // Everything the tenant held ended; it is onboarding again, with the new onboarding token.
    expect((await call('GET', '/v1/tenant', owned)).statusCode).toBe(401);
    expect((await call('GET', '/v1/tenant', fresh)).json()).toMatchObject({ handed_over_at: null });
    const again = await call('POST', '/v1/handover', fresh, {});
    expect(again.statusCode).toBe(201);
    const tenantEvents = (await events(bearer(again.json<{ token: string }>().token))).map((entry) => entry.event_type);
    for (const event of ['RECOVERY_REQUESTED', 'RECOVERY_CANCELLED', 'RECOVERY_COMPLETED']) expect(tenantEvents).toContain(event);
    const providerEvents = (await events(operator, '/provider/v1/audit?limit=1000')).map((entry) => entry.event_type);
    for (const event of ['RECOVERY_REQUESTED', 'RECOVERY_CANCELLED', 'RECOVERY_COMPLETED']) expect(providerEvents).toContain(event);
  });

  it('recovery is for handed-over, active tenants; cancelling takes a credential of that tenant', async () => {
    expect(code(await call('POST', '/provider/v1/tenants/initech/recoveries', provider, { reason: 'x' }))).toBe('handover_required');
    const owned = bearer((await handover()).token);
    const request = RecoveryView.parse((await call('POST', '/provider/v1/tenants/initech/recoveries', provider, { reason: 'x' })).json());
    const other = await t.ownedTenantHeaders('globex', 'siloed');
    expect((await call('POST', `/v1/recoveries/${request.id}/cancel`, other, {})).statusCode).toBe(404);
    expect((await call('GET', '/v1/recoveries', other)).json()).toEqual({ items: [] });
    expect((await call('POST', `/v1/recoveries/${request.id}/cancel`, provider, {})).statusCode).toBe(403);
    expect((await call('POST', `/v1/recoveries/${request.id}/cancel`, owned, {})).statusCode).toBe(200);
    const billing = await t.operatorHeaders('billing', ['billing_viewer']);
    expect((await call('POST', '/provider/v1/tenants/initech/recoveries', billing, { reason: 'x' })).statusCode).toBe(403);
    expect((await call('POST', '/provider/v1/tenants/initech/recoveries', provider, { reason: '' })).statusCode).toBe(400);
    expect((await call('POST', `/provider/v1/recoveries/not-a-uuid/complete`, provider, {})).statusCode).toBe(400);
  });

  it('refuses a forged token that shares all but its last characters with a real one, for every token kind', async () => {
    const owned = bearer((await handover()).token);
    const scim = (await call('POST', '/v1/directory/scim-tokens', owned, { name: 'idp' })).json<{ token: string }>().token;
    const pool = (await call('POST', '/v1/agent-pools', owned, { name: 'edge', ttl_seconds: 3600 })).json<{ id: string }>();
    const bootstrap = (await call('POST', `/v1/agent-pools/${pool.id}/tokens`, owned)).json<{ token: string }>().token;
    const agent = (await call('POST', '/agent/v1/enroll', {}, { bootstrap_token: (await call('POST', `/v1/agent-pools/${pool.id}/tokens`, owned)).json<{ token: string }>().token, name: 'a1' })).json<{ agent_token: string }>().agent_token;
    const operatorToken = provider.authorization.slice('Bearer '.length);
    // A break-glass grant: a tenant person approves (identity set by the tenant), the operator activates.
    expect((await call('PUT', '/v1/identity/oidc', owned, { issuer: 'https://idp.initech.example.test', client_id: 'bulkhead', client_secret: 'fixture-secret', claim: null })).statusCode).toBe(200);
    const approver = await t.tenantUserHeaders(owned, 'admin');
    const opened = (await call('POST', '/provider/v1/break-glass', provider, { tenant: 'initech', reason: 'forgery test', scope: ['telemetry:read'], duration_minutes: 30 })).json<{ id: string }>();
    expect((await call('POST', `/v1/break-glass/${opened.id}/approve`, approver, {})).statusCode).toBe(200);
    const grant = (await call('POST', `/provider/v1/break-glass/${opened.id}/activate`, provider)).json<{ grant_token: string }>().grant_token;
    const forge = (token: string) => token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    const cases: [string, (token: string) => Promise<number>][] = [
      [operatorToken, async (token) => (await call('GET', '/provider/v1/tenants', bearer(token))).statusCode],
      [owned.authorization.slice('Bearer '.length), async (token) => (await call('GET', '/v1/tenant', bearer(token))).statusCode],
      [scim, async (token) => (await call('GET', '/scim/v2/Users', bearer(token))).statusCode],
      [bootstrap, async (token) => (await call('POST', '/agent/v1/enroll', {}, { bootstrap_token: token, name: 'forged' })).statusCode],
      [agent, async (token) => (await call('POST', '/agent/v1/ingest', bearer(token), { batch_id: 'f', results: [] })).statusCode],
      [grant, async (token) => (await call('GET', '/v1/telemetry/summary', bearer(token))).statusCode],
    ];
    for (const [token, use] of cases) {
      expect(await use(forge(token)), token.slice(0, 4)).toBe(401);
      expect(await use(token), token.slice(0, 4)).toBeLessThan(400);
    }
  });
});
