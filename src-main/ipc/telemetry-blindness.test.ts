import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcChannelNames, type IpcChannel } from '../../contracts/ipc';
import { definedTests, enrolledAgentHeaders, handOver, injectCall } from '../../test/helpers/control-plane-harness';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';
import { tenantUserAuthorization } from '../../test/helpers/tenant-user';

// What only telemetry carries: a result's target and error text, a flow's address.
const MARKERS = ['marker-q7z.example', 'marker-q7z-timeout', '10.77.77.77'];

/**
 * Every channel of the IPC map, called with a request of its own against a real control plane that
 * holds a tenant's telemetry, answers none of it: an operator reads telemetry only through a grant the
 * tenant approves (break-glass), and only the telemetry channels use one, only while it is active. A
 * channel added to the map without a request here fails the first test, so each new channel is put
 * through this check.
 */
describe('no IPC channel returns telemetry without an active break-glass grant', () => {
  let c: ConsoleRouter;
  let tenantId = '';
  let samples: Record<IpcChannel, unknown>;
  let owner = '';
  let approver = '';
  /** A break-glass request left pending: the telemetry channels are tried with it in the sweep. */
  let pendingId = '';

  beforeAll(async () => {
    c = await consoleRouter();
    const tenant = await c.result<{ id: string }>('tenants:create', { slug: 'marked', name: 'Marked' });
    tenantId = tenant.id;
    await c.result('tenants:create', { slug: 'doomed', name: 'Doomed' });
    const onboarding = await c.result<{ token: string }>('tenants:admin-token', { tenant: 'marked', expires_in_seconds: 3600 });
    const owned = await handOver(injectCall(c.cp.app), `Bearer ${onboarding.token}`, 'marked');
    const [testId] = await definedTests(c.cp.app, owned);
    const agent = await enrolledAgentHeaders(c.cp.app, owned);
    const ts = c.now().toISOString();
    const ingested = await c.cp.app.inject({
      method: 'POST',
      url: '/agent/v1/ingest',
      headers: agent,
      payload: {
        batch_id: 'marked-1',
        results: [{ test_id: testId, ts, latency_ms: 4321, ok: false, target: 'https://marker-q7z.example/health', error: 'marker-q7z-timeout' }],
        flow_events: [{ ts, src: '10.77.77.77', dst: '10.0.0.2', src_port: 5000, dst_port: 443, protocol: 'tcp', bytes: 100, packets: 1 }],
      },
    });
    expect(ingested.statusCode, ingested.body).toBe(202);
    // The telemetry is there: the tenant's own user reads every marker back.
    const reader = await tenantUserAuthorization({ call: injectCall(c.cp.app), admin: owned.authorization, openStorage: () => c.cp.engine.openStorage(Buffer.from(c.cp.deploymentKey, 'base64')), role: 'operator' });
    const results = await c.cp.app.inject({ method: 'GET', url: '/v1/telemetry/results', headers: { authorization: reader } });
    const flows = await c.cp.app.inject({ method: 'GET', url: '/v1/telemetry/flows', headers: { authorization: reader } });
    for (const marker of MARKERS) expect(results.body + flows.body).toContain(marker);
    owner = owned.authorization;
    approver = await tenantUserAuthorization({ call: injectCall(c.cp.app), admin: owned.authorization, openStorage: () => c.cp.engine.openStorage(Buffer.from(c.cp.deploymentKey, 'base64')), role: 'admin' });
    pendingId = (await c.result<{ request: { id: string } }>('breakglass:open', { tenant: 'marked', reason: 'left pending', scope: ['telemetry:read'], duration_minutes: 30 })).request.id;

    const operatorId = randomUUID();
    // One request per channel, the destructive ones last (ending the session comes at the very end).
    samples = {
      'app:info': {},
      'setup:enroll': { username: 'someone', password: 'a-long-enough-password' },
      'session:status': {},
      'session:login': { username: c.cp.admin.username, password: 'wrong-password-here', totp: '000000' },
      'license:get': {},
      'tenants:list': { limit: 1000 },
      'tenants:create': { slug: 'another', name: 'Another' },
      'tenants:suspend': { tenant: 'marked', reason: 'checking' },
      'tenants:resume': { tenant: 'marked', reason: 'checked' },
      'audit:verify': {},
      'connections:list': {},
      'connections:add': { name: 'same plane', url: c.cp.url, ca_pem: c.cp.caPem },
      'connections:switch': { id: 'embedded' },
      'connections:test': { id: 'embedded' },
      'controlplane:retry': {},
      'tenants:summaries': { limit: 1000 },
      'tenants:get': { tenant: 'marked' },
      'tenants:update': { tenant: 'marked', plan: 'gold' },
      'quotas:set': { tenant: 'marked', max_agents: 10, max_users: 10, max_tests: 10, storage_quota_mb: 100, api_rate_limit_rpm: 600 },
      'fairness:get': { tenant: 'marked' },
      'fairness:set': { tenant: 'marked', ingest_rate_per_sec: 100, query_budget: 60 },
      'identity:set-oidc': { tenant: 'doomed', issuer: 'https://idp.doomed.example', client_id: 'x', client_secret: 'y' },
      'tenants:admin-token': { tenant: 'doomed', expires_in_seconds: 600 },
      'audit:list': { tenant: 'marked', limit: 1000 },
      'branding:get': { tenant: 'marked' },
      'branding:set': { tenant: 'marked', product_name: 'Marked Portal', login_message: 'Welcome' },
      'usage:export': { format: 'json', tenant: 'marked' },
      'usage:report': { tenant: 'marked' },
      'license:replace': { license: '{"not":"a license"}' },
      // The simulator panel (#21): this console has no simulator runner, so a start is refused.
      'simulator:status': {},
      'simulator:start': { scenario: 'scim-sync', seed: 1, tenants: 1 },
      'simulator:stop': {},
      'fairness:what-if': { tenant: 'marked', rate: 1000, seconds: 60 },
      'breakglass:list': { tenant: 'marked' },
      'breakglass:open': { tenant: 'marked', reason: 'sweep', scope: ['telemetry:read'], duration_minutes: 15 },
      'breakglass:get': { id: pendingId },
      'breakglass:activate': { id: pendingId },
      'telemetry:results': { request_id: pendingId, limit: 1000 },
      'telemetry:flows': { request_id: pendingId, limit: 1000 },
      'telemetry:summary': { request_id: pendingId },
      'audit:prove': { seq: 1, leaf_hash: '0'.repeat(64) },
      'audit:witness': {},
      'fairness:overview': { limit: 1000 },
      'replicas:list': {},
      'enrollment:start': { username: c.cp.admin.username, password: c.cp.admin.password },
      'enrollment:confirm': { username: c.cp.admin.username, password: c.cp.admin.password, totp: '000000' },
      'account:get': {},
      'account:password': { current_password: 'not-the-password', new_password: 'another-long-password' },
      'account:recovery-codes': { password: 'not-the-password' },
      'account:totp-start': { password: 'not-the-password' },
      'account:totp-confirm': { totp: '000000' },
      'operators:list': {},
      'operators:create': { username: 'oncall', roles: ['provider_operator'] },
      'operators:reset-totp': { id: operatorId },
      'operators:remove': { id: operatorId },
      'lock:settings': {},
      'lock:configure': { idle_lock_minutes: 30 },
      'tenants:delete': { tenant: 'doomed' },
      'connections:remove': { id: 'c_000000000000' },
      'session:logout': {},
    };
  }, 120_000);

  afterAll(async () => {
    await c.close();
  });

  it('has a request for every channel of the map, and no other', () => {
    expect(Object.keys(samples).toSorted()).toEqual([...ipcChannelNames].toSorted());
  });

  it('reads telemetry only through a grant the tenant approved and the console activated, and not after the tenant revokes it', async () => {
    const opened = await c.result<{ request: { id: string } }>('breakglass:open', { tenant: 'marked', reason: 'INC-1', scope: ['telemetry:read'], duration_minutes: 30 });
    const id = opened.request.id;
    // Approved by a person of the tenant; not yet activated, so still no telemetry.
    const approved = await c.cp.app.inject({ method: 'POST', url: `/v1/break-glass/${id}/approve`, headers: { authorization: approver }, payload: {} });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(await c.call('telemetry:results', { request_id: id })).toMatchObject({ error: { code: 'break_glass_not_active' } });
    const activated = await c.call('breakglass:activate', { id });
    expect(activated).toMatchObject({ result: { request: { state: 'active' }, grant: { request_id: id, tenant_id: tenantId, scope: ['telemetry:read'] } } });
    // The token stays in the main process: no answer carries a bhg_ token.
    expect(JSON.stringify(activated)).not.toMatch(/bhg_/);
    expect(JSON.stringify(await c.call('breakglass:list', { tenant: 'marked' }))).not.toMatch(/bhg_/);

    const results = JSON.stringify(await c.call('telemetry:results', { request_id: id }));
    const flows = JSON.stringify(await c.call('telemetry:flows', { request_id: id }));
    expect(results).toContain('marker-q7z-timeout');
    expect(flows).toContain('10.77.77.77');
    expect(await c.call('telemetry:summary', { request_id: id })).toMatchObject({ result: { tests: [expect.objectContaining({ results: 1, failures: 1 })] } });
    // Another request's id reaches nothing, even while this grant is held.
    expect(await c.call('telemetry:results', { request_id: pendingId })).toMatchObject({ error: { code: 'break_glass_not_active' } });

    const revoked = await c.cp.app.inject({ method: 'POST', url: `/v1/break-glass/${id}/revoke`, headers: { authorization: owner }, payload: { reason: 'done' } });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(await c.call('telemetry:results', { request_id: id })).toMatchObject({ error: { code: 'grant_revoked' } });
    // ...and the console forgot the grant: the next read does not even reach the control plane.
    expect(await c.call('telemetry:flows', { request_id: id })).toMatchObject({ error: { code: 'break_glass_not_active' } });
    expect(await c.call('breakglass:get', { id })).toMatchObject({ result: { request: { state: 'revoked' }, grant: null } });
  });

  it('answers no marker of the telemetry and no result field on any channel, while the tenant-reading channels do answer', async () => {
    const answered: Partial<Record<IpcChannel, string>> = {};
    const envelopes: Partial<Record<IpcChannel, unknown>> = {};
    for (const [channel, request] of Object.entries(samples) as [IpcChannel, unknown][]) {
      const envelope = await c.call(channel, request);
      envelopes[channel] = envelope;
      const text = JSON.stringify(envelope);
      answered[channel] = 'result' in envelope ? 'result' : `error:${envelope.error.code}`;
      for (const marker of MARKERS) expect(text, channel).not.toContain(marker);
      expect(text, channel).not.toMatch(/"latency_ms"|"flow_events"|"dst_port"|4321/);
    }
    // Not vacuous: what reads a tenant did read it (counts and ledger entries, not telemetry).
    for (const channel of ['tenants:list', 'tenants:summaries', 'tenants:get', 'fairness:get', 'fairness:what-if', 'fairness:overview', 'audit:list', 'audit:verify'] as const) {
      expect(answered[channel], channel).toBe('result');
    }
    // The one result ingested shows as a count, and only as a count.
    expect(envelopes['tenants:summaries']).toMatchObject({ result: { items: expect.arrayContaining([expect.objectContaining({ id: tenantId, results_this_month: 1 })]) as unknown } });
    // Files saved by the export and report channels hold counts, never telemetry.
    expect(answered['usage:export']).toBe('result');
    expect(answered['usage:report']).toBe('result');
    const saved = readdirSync(c.downloads);
    expect(saved).toHaveLength(2);
    for (const name of saved) {
      const content = readFileSync(join(c.downloads, name)).toString('latin1');
      for (const marker of MARKERS) expect(content, name).not.toContain(marker);
    }
    // The last channel ended the session: nothing answers after it.
    expect(await c.call('tenants:summaries', {})).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
