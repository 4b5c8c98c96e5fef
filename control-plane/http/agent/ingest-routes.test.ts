import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Client, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TenantFairness } from '../../../contracts/fairness';
import { BATCH_UNITS_HEADER, IngestResponse } from '../../../contracts/telemetry';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

/** The test tenant ingest-a defined (ingest accepts results only for a tenant's own tests). */
let TEST_ID = '';

function results(count: number, at: string, extra: Record<string, unknown> = {}, testId = TEST_ID) {
  return Array.from({ length: count }, (_, i) => ({ test_id: testId, ts: at, latency_ms: 10 + (i % 7), ok: i % 10 !== 0, ...extra }));
}

describe('POST /agent/v1/ingest: admission, idempotency, sealing', () => {
  let t: TestApp;
  let operator: Headers;
  let tenant: Headers;
  let agent: Headers;
  /** A tenant user with the operator role: who reads telemetry and runs insights. */
  let reader: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    operator = await t.adminHeaders();
    tenant = await t.ownedTenantHeaders('ingest-a', 'pooled');
    [TEST_ID = ''] = await definedTests(t.app, tenant);
    agent = await enrolledAgentHeaders(t.app, tenant);
    reader = await t.tenantUserHeaders(tenant, 'operator');
  });

  afterEach(async () => {
    await t.close();
  });

  const now = () => t.clock.now().toISOString();
  const ingest = (payload: unknown, headers: Headers = agent) => t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers, payload: payload as Record<string, unknown> });
  const setFairness = (payload: Record<string, number>, slug = 'ingest-a') => t.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${slug}/fairness`, headers: operator, payload });
  const storedResults = async (headers: Headers = reader) => {
    const page = await t.app.inject({ method: 'GET', url: '/v1/telemetry/results?limit=1000', headers });
    expect(page.statusCode).toBe(200);
    return page.json<{ items: { test_id: string; target: string | null; error: string | null; status_code: number | null }[] }>().items;
  };

  it('admits a batch of results and flow events: 202 {admitted_units}; the results and flows read back with their sealed details', async () => {
    const flow = { ts: now(), src: '10.0.0.1', dst: '10.0.0.2', src_port: 5000, dst_port: 443, protocol: 'tcp', bytes: 1200, packets: 3 };
    const response = await ingest({ batch_id: 'b-1', results: [...results(3, now()), { test_id: TEST_ID, ts: now(), latency_ms: null, ok: false, target: 'https://intranet.example/health', error: 'connect ETIMEDOUT' }], flow_events: [flow] });
    expect(response.statusCode).toBe(202);
    expect(IngestResponse.parse(response.json())).toEqual({ batch_id: 'b-1', admitted_units: 5, duplicate: false });
    const items = await storedResults();
    expect(items).toHaveLength(4);
    expect(items.filter((item) => item.error === 'connect ETIMEDOUT' && item.target === 'https://intranet.example/health')).toHaveLength(1);
    const flows = await t.app.inject({ method: 'GET', url: '/v1/telemetry/flows', headers: reader });
    expect(flows.json<{ items: unknown[] }>().items).toEqual([{ ...flow, batch_id: 'b-1', agent_id: (agent as Headers & { agentId: string }).agentId }]);
    // Sealed once per batch: the target, the error text and the flow addresses are not in any file or table in clear.
    const raw = Buffer.concat(await t.engine.rawContents());
    for (const secret of ['intranet.example', 'ETIMEDOUT', '10.0.0.2']) {
      expect(raw.includes(Buffer.from(secret))).toBe(false);
    }
  });

  it('stores a retried batch_id once: the retry answers 202 duplicate and writes nothing', async () => {
    const batch = { batch_id: 'retry-me', results: results(10, now()) };
    expect((await ingest(batch)).json()).toMatchObject({ admitted_units: 10, duplicate: false });
    expect((await ingest(batch)).json()).toMatchObject({ admitted_units: 10, duplicate: true });
    expect(await storedResults()).toHaveLength(10);
  });

  it('over the rate: 429 rate_limited with Retry-After and retry_after_ms, nothing stored; the same batch succeeds once the bucket refills', async () => {
    expect((await setFairness({ ingest_rate_per_sec: 100, ingest_burst: 200, query_budget: 100 })).statusCode).toBe(200);
    expect((await ingest({ batch_id: 'first', results: results(150, now()) })).statusCode).toBe(202);
    const refused = await ingest({ batch_id: 'second', results: results(100, now()) });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited', details: { retry_after_ms: 500, units: 100 } } });
    expect(refused.headers['retry-after']).toBe('1');
    expect(await storedResults()).toHaveLength(150);
    t.clock.advance(1);
    expect((await ingest({ batch_id: 'second', results: results(100, now()) })).statusCode).toBe(202);
    expect(await storedResults()).toHaveLength(250);
    const counters = TenantFairness.parse((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/ingest-a/fairness', headers: operator })).json());
    expect(counters).toMatchObject({ admitted_calls: 2, admitted_units: 250, shed_calls: 1, shed_units: 100, ingest_rate_per_sec: 100, ingest_burst: 200 });
  });

  it('a connection that ignores Retry-After is held until it ends (then served); another connection sees the same 429 as before, unheld', async () => {
    expect((await setFairness({ ingest_rate_per_sec: 20, ingest_burst: 200, query_budget: 100 })).statusCode).toBe(200);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    const base = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const ca = readFileSync(join(t.dataDir, 'tls', 'ca.crt'), 'utf8');
    // Two keep-alive connections: the hostile agent's and a well-behaved one's.
    const hostile = new Agent({ connections: 1, pipelining: 1, connect: { ca } });
    const polite = new Agent({ connections: 1, pipelining: 1, connect: { ca } });
    const send = async (dispatcher: Agent, batch: unknown) => {
      const response = await request(`${base}/agent/v1/ingest`, { method: 'POST', dispatcher, headers: { ...agent, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: (await response.body.json()) as { error?: { code: string; details: Record<string, unknown> } } };
    };
    try {
      expect((await send(hostile, { batch_id: 'fill', results: results(150, now()) })).status).toBe(202);
      const first = await send(hostile, { batch_id: 'second', results: results(100, now()) });
      expect(first).toMatchObject({ status: 429, retryAfter: '3', body: { error: { code: 'rate_limited', details: { retry_after_ms: 2500 } } } });
      const refusedAt = performance.now();

      // The hostile agent asks again at once on the same connection: held, not answered early.
      let answeredAt = 0;
      const retried = send(hostile, { batch_id: 'second', results: results(100, now()) }).then((answer) => {
        answeredAt = performance.now();
        return answer;
      });
      // Meanwhile the well-behaved agent's connection gets the refusal it always got, unheld: its
      // turn comes after the first refusal's (token-bucket.ts), so 7,500 ms. The hold (2.5 s) leaves
      // a loaded machine time to answer it first.
      const other = await send(polite, { batch_id: 'second', results: results(100, now()) });
      expect(other).toMatchObject({ status: 429, retryAfter: '8', body: { error: { code: 'rate_limited', details: { retry_after_ms: 7500 } } } });
      expect(answeredAt, 'the held request is not answered before the other connection').toBe(0);

      t.clock.advance(3);
      const served = await retried;
      expect(served.status, 'served once its hold is over, the bucket having refilled').toBe(202);
      expect(answeredAt - refusedAt).toBeGreaterThanOrEqual(2490);
    } finally {
      await hostile.close();
      await polite.close();
    }
  });

  it('bounds the connections of one agent token and one tenant over HTTPS: one past either bound is 429 with Retry-After and closed; other tokens and tenants, and rate refusals, are as before', async () => {
    const bounded = await buildTestApp({ ingestConnections: { perAgent: 2, perTenant: 3 } });
    const clients: Client[] = [];
    try {
      const admin = await bounded.tenantAdminHeaders('conn-a', 'pooled');
      const [testA = ''] = await definedTests(bounded.app, admin);
      const tokenA = await enrolledAgentHeaders(bounded.app, admin, 'a');
      const tokenB = await enrolledAgentHeaders(bounded.app, admin, 'b');
      const otherAdmin = await bounded.tenantAdminHeaders('conn-other', 'pooled');
      const [testOther = ''] = await definedTests(bounded.app, otherAdmin);
      const tokenOther = await enrolledAgentHeaders(bounded.app, otherAdmin, 'c');
      await bounded.app.listen({ host: '127.0.0.1', port: 0 });
      const address = bounded.app.server.address();
      const base = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      const ca = readFileSync(join(bounded.dataDir, 'tls', 'ca.crt'), 'utf8');
      /** One keep-alive connection of its own (an undici Client holds exactly one). */
      const connection = () => {
        const client = new Client(base, { connect: { ca }, pipelining: 1 });
        const state = { closed: false };
        client.on('disconnect', () => (state.closed = true));
        clients.push(client);
        return { client, state };
      };
      let n = 0;
      const send = async (client: Client, headers: Headers, testId: string) => {
        const at = bounded.clock.now().toISOString();
        const response = await client.request({ path: '/agent/v1/ingest', method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ batch_id: `c-${n++}`, results: results(1, at, {}, testId) }) });
        return { status: response.statusCode, retryAfter: response.headers['retry-after'], connection: response.headers.connection, body: (await response.body.json()) as { error?: { code: string; details: Record<string, unknown> } } };
      };

      const a1 = connection();
      const a2 = connection();
      const a3 = connection();
      expect((await send(a1.client, tokenA, testA)).status).toBe(202);
      expect((await send(a2.client, tokenA, testA)).status).toBe(202);
      const overAgent = await send(a3.client, tokenA, testA);
      expect(overAgent).toMatchObject({ status: 429, retryAfter: '1', connection: 'close', body: { error: { code: 'rate_limited', details: { retry_after_ms: 1000, reason: 'too_many_connections', scope: 'agent', max_connections: 2 } } } });
      await vi.waitFor(() => expect(a3.state.closed, 'the refused connection is closed').toBe(true));
      // The token's own connections are served as before, and stay open.
      expect((await send(a1.client, tokenA, testA)).status).toBe(202);
      expect((await send(a2.client, tokenA, testA)).status).toBe(202);
      expect([a1.state.closed, a2.state.closed]).toEqual([false, false]);

      // Another token of the tenant has its own bound, within the tenant's (3 in all).
      const b1 = connection();
      const b2 = connection();
      expect((await send(b1.client, tokenB, testA)).status).toBe(202);
      expect(await send(b2.client, tokenB, testA)).toMatchObject({ status: 429, retryAfter: '1', connection: 'close', body: { error: { details: { reason: 'too_many_connections', scope: 'tenant', max_connections: 3 } } } });
      // Another tenant is not affected.
      const other = connection();
      expect((await send(other.client, tokenOther, testOther)).status).toBe(202);

      // A closed connection frees its slot.
      await a1.client.close();
      await vi.waitFor(() => expect(a1.state.closed).toBe(true));
      const a4 = connection();
      await vi.waitFor(async () => expect((await send(a4.client, tokenA, testA)).status).toBe(202));

      // An agent over the tenant's rate gets exactly the 429 it always got, on a connection that stays open.
      await bounded.app.inject({ method: 'PUT', url: '/provider/v1/tenants/conn-other/fairness', headers: await bounded.adminHeaders(), payload: { ingest_rate_per_sec: 1, ingest_burst: 1, query_budget: 100 } });
      let rate = await send(other.client, tokenOther, testOther);
      if (rate.status === 202) rate = await send(other.client, tokenOther, testOther);
      expect(rate.status).toBe(429);
      expect(rate.connection).not.toBe('close');
      expect(rate.body.error).toMatchObject({ code: 'rate_limited', details: { units: 0 } });
      const ms = Number(rate.body.error?.details.retry_after_ms);
      expect(rate.retryAfter).toBe(String(Math.max(1, Math.ceil(ms / 1000))));
      expect(Object.keys(rate.body.error?.details ?? {}).sort()).toEqual(['retry_after_ms', 'units']);
      expect(other.state.closed).toBe(false);
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await bounded.close();
    }
  });

  it('an empty bucket refuses before the body is read; a batch larger than the burst is 413 (never retryable), not 429', async () => {
    await setFairness({ ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 100 });
    expect((await ingest({ batch_id: 'too-big', results: results(21, now()) })).json()).toMatchObject({ error: { code: 'payload_too_large', details: { units: 21, max_batch_units: 20 } } });
    expect((await ingest({ batch_id: 'fill', results: results(20, now()) })).statusCode).toBe(202);
    const empty = await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: { ...agent, 'content-type': 'application/json' }, payload: '{"not even": valid json' });
    expect(empty.statusCode).toBe(429);
    expect(empty.json()).toMatchObject({ error: { code: 'rate_limited', details: { retry_after_ms: 100 } } });
  });

  it('without the batch-units header the rate is checked before the rows are validated; a batch refused for its rows gives its units back', async () => {
    await setFairness({ ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 100 });
    expect((await ingest({ batch_id: 'fill', results: results(15, now()) })).statusCode).toBe(202);
    // Five units left, ten asked for, and a row that is not valid: the rate answers first, so a
    // flooding agent costs the server a parse, not a validation of every row.
    const invalid = { batch_id: 'bad-row', results: [...results(9, now()), { test_id: 'not-a-uuid', ts: now(), latency_ms: 1, ok: true }] };
    const refused = await ingest(invalid);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited', details: { units: 10, retry_after_ms: 500 } } });
    t.clock.advance(1);
    // Admitted for its units, then refused for its row: the units go back.
    expect((await ingest(invalid)).json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await ingest({ batch_id: 'fits', results: results(15, now()) })).statusCode).toBe(202);
    const counters = TenantFairness.parse((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/ingest-a/fairness', headers: operator })).json());
    expect(counters).toMatchObject({ admitted_units: 30, shed_calls: 1, shed_units: 10 });
  });

  it('with the batch-units header the rate is checked before the body is read: a refused batch is never parsed, and its Retry-After is for its own units', async () => {
    await setFairness({ ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 100 });
    const declaring = (units: string, payload: string) =>
      t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: { ...agent, 'content-type': 'application/json', [BATCH_UNITS_HEADER]: units }, payload });
    expect((await declaring('15', JSON.stringify({ batch_id: 'declared', results: results(15, now()) }))).statusCode).toBe(202);
    // Five units left: a body that is not even JSON shows the refusal came from the header alone.
    const refused = await declaring('10', '{"not even": valid json');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited', details: { units: 10, retry_after_ms: 500 } } });
    expect((await declaring('21', '{"not json')).json()).toMatchObject({ error: { code: 'payload_too_large', details: { units: 21, max_batch_units: 20 } } });
    const counters = TenantFairness.parse((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/ingest-a/fairness', headers: operator })).json());
    expect(counters).toMatchObject({ admitted_units: 15, shed_calls: 2, shed_units: 31 });
  });

  it('a batch-units header that is malformed or disagrees with the body is 400 and gives its units back; nothing is stored', async () => {
    await setFairness({ ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 100 });
    const declaring = (units: string, payload: unknown) => t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: { ...agent, [BATCH_UNITS_HEADER]: units }, payload: payload as Record<string, unknown> });
    for (const bad of ['abc', '-1', '5001', '1.5', '10, 10', '']) {
      const response = await declaring(bad, { batch_id: 'bad-header', results: results(1, now()) });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: `headers.${BATCH_UNITS_HEADER}` }] } } });
    }
    const mismatch = await declaring('20', { batch_id: 'mismatch', results: results(19, now()) });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json()).toMatchObject({ error: { code: 'invalid_request', details: { declared_units: 20, units: 19 } } });
    const invalid = await declaring('20', { batch_id: 'invalid', results: [{ ...results(1, now())[0], test_id: 'nope' }] });
    expect(invalid.statusCode).toBe(400);
    // Both refused batches gave their 20 units back: the whole burst is still there, on the same clock.
    expect((await declaring('20', { batch_id: 'whole-burst', results: results(20, now()) })).statusCode).toBe(202);
    expect(await storedResults()).toHaveLength(20);
  });

  it('storage_quota_mb is a hard cap: the batch that would pass it is 429 quota_exceeded (no Retry-After), nothing stored; a raised quota admits again', async () => {
    const quotas = (await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/ingest-a/quotas', headers: operator })).json<Record<string, number>>();
    const setQuota = (mb: number) => t.app.inject({ method: 'PUT', url: '/provider/v1/tenants/ingest-a/quotas', headers: operator, payload: { ...quotas, storage_quota_mb: mb } });
    expect((await setQuota(1)).statusCode).toBe(200);
    await setFairness({ ingest_rate_per_sec: 1_000_000, query_budget: 1000 });
    // About 300 KB a batch: the fourth passes 1 MiB.
    const big = (id: string) => ({ batch_id: id, results: results(2000, now(), { target: `https://${'x'.repeat(60)}.example/health`, error: 'e'.repeat(20) }) });
    const outcomes: number[] = [];
    for (let i = 0; i < 6; i++) outcomes.push((await ingest(big(`q-${i}`))).statusCode);
    const admitted = outcomes.filter((status) => status === 202).length;
    expect(admitted).toBeGreaterThanOrEqual(2);
    expect(outcomes.slice(admitted)).toEqual(Array.from({ length: 6 - admitted }, () => 429));
    const refused = await ingest(big('q-refused'));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.json()).toMatchObject({ error: { code: 'quota_exceeded', details: { quota: 'storage_quota_mb', limit: 1 } } });
    expect(await storedResults()).toHaveLength(Math.min(1000, admitted * 2000));
    // Lowering never deleted anything; raising lets the refused batch in.
    expect((await setQuota(10)).statusCode).toBe(200);
    expect((await ingest(big('q-refused'))).statusCode).toBe(202);
  });

  it("storage_quota_mb counts the tenant's own bytes only: a neighbour's batches in the same cell do not use it up", async () => {
    // One cell on SQLite (PostgreSQL pools every tenant in one table anyway): the neighbour shares the file.
    const shared = await buildTestApp({ telemetryCells: 1 });
    try {
      const provider = await shared.adminHeaders();
      const lanes: string[] = [];
      const agents: { headers: Headers; testId: string }[] = [];
      for (const slug of ['quota-small', 'quota-neighbour']) {
        const admin = await shared.tenantAdminHeaders(slug, 'pooled');
        const [testId = ''] = await definedTests(shared.app, admin);
        agents.push({ headers: await enrolledAgentHeaders(shared.app, admin), testId });
        await shared.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${slug}/fairness`, headers: provider, payload: { ingest_rate_per_sec: 1_000_000, query_budget: 1000 } });
        lanes.push(TenantFairness.parse((await shared.app.inject({ method: 'GET', url: `/provider/v1/tenants/${slug}/fairness`, headers: provider })).json()).write_lane);
      }
      expect(lanes[0]).toBe(lanes[1]);
      const [small, neighbour] = agents as [(typeof agents)[0], (typeof agents)[0]];
      const quotas = (await shared.app.inject({ method: 'GET', url: '/provider/v1/tenants/quota-small/quotas', headers: provider })).json<Record<string, number>>();
      expect((await shared.app.inject({ method: 'PUT', url: '/provider/v1/tenants/quota-small/quotas', headers: provider, payload: { ...quotas, storage_quota_mb: 1 } })).statusCode).toBe(200);
      const at = shared.clock.now().toISOString();
      const big = (id: string, testId: string) => ({ batch_id: id, results: results(2000, at, { target: `https://${'x'.repeat(60)}.example/health`, error: 'e'.repeat(20) }, testId) });
      // The neighbour stores about 1.5 MB, more than the small tenant's whole quota.
      for (let i = 0; i < 5; i++) {
        expect((await shared.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: neighbour.headers, payload: big(`n-${i}`, neighbour.testId) })).statusCode).toBe(202);
      }
      const first = await shared.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: small.headers, payload: big('s-0', small.testId) });
      expect(first.statusCode, first.body).toBe(202);
    } finally {
      await shared.close();
    }
  });

  it('validates every batch with the contract: unknown fields, bad ids and oversize batches are 400 with the path; nothing is stored', async () => {
    const cases: [unknown, string][] = [
      [{ batch_id: 'x', results: [{ ...results(1, now())[0], extra: 1 }] }, 'results.0.extra'],
      [{ batch_id: 'x', results: [{ ...results(1, now())[0], test_id: 'nope' }] }, 'results.0.test_id'],
      [{ batch_id: 'has space', results: [] }, 'batch_id'],
      [{ batch_id: 'x', results: results(5001, now()) }, 'results'],
      [{ results: [] }, 'batch_id'],
    ];
    for (const [payload, path] of cases) {
      const response = await ingest(payload);
      expect(response.statusCode, JSON.stringify(path)).toBe(400);
      expect(response.json<{ error: { details: { issues: { path: string }[] } } }>().error.details.issues.map((issue) => issue.path)).toContain(path);
    }
    expect(await storedResults()).toHaveLength(0);
  });

  it('telemetry is for tenant users with a role: a tenant-admin token (minted through the provider plane) cannot read it or run insights; a viewer reads but cannot run insights', async () => {
    expect((await ingest({ batch_id: 'b-1', results: results(2, now()) })).statusCode).toBe(202);
    for (const url of ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary']) {
      const refused = await t.app.inject({ method: 'GET', url, headers: tenant });
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json(), url).toMatchObject({ error: { code: 'forbidden', details: { permission: 'telemetry:read' } } });
    }
    expect((await t.app.inject({ method: 'POST', url: '/v1/insights', headers: tenant, payload: {} })).json()).toMatchObject({ error: { code: 'forbidden', details: { permission: 'insights:run' } } });
    const viewer = await t.tenantUserHeaders(tenant, 'viewer');
    expect(await storedResults(viewer)).toHaveLength(2);
    expect((await t.app.inject({ method: 'POST', url: '/v1/insights', headers: viewer, payload: {} })).statusCode).toBe(403);
  });

  it("refuses results for a test the tenant does not own (another tenant's, or none at all): 400 unknown_test, nothing stored, units given back", async () => {
    const other = await t.tenantAdminHeaders('ingest-other', 'pooled');
    const [othersTest = ''] = await definedTests(t.app, other);
    // A burst of exactly one batch: were a refused batch's units kept, the valid batch below would be 429.
    await setFairness({ ingest_rate_per_sec: 1, ingest_burst: 3, query_budget: 100 });
    for (const testId of [othersTest, randomUUID()]) {
      const refused = await ingest({ batch_id: `foreign-${testId}`, results: [...results(2, now()), ...results(1, now(), {}, testId)] });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: { code: 'unknown_test', details: { test_ids: [testId] } } });
    }
    expect(await storedResults()).toHaveLength(0);
    expect((await ingest({ batch_id: 'own', results: results(3, now()) })).statusCode).toBe(202);
    // A test defined after the first batch is accepted at once (the list is read again).
    const [later = ''] = await definedTests(t.app, tenant);
    t.clock.advance(3);
    expect((await ingest({ batch_id: 'later', results: results(1, now(), {}, later) })).statusCode).toBe(202);
    // Deleted: refused again.
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/tests/${later}`, headers: tenant })).statusCode).toBe(204);
    t.clock.advance(3);
    expect((await ingest({ batch_id: 'deleted', results: results(1, now(), {}, later) })).json()).toMatchObject({ error: { code: 'unknown_test' } });
  });

  it('takes only agent tokens: a tenant-admin token is 401, an operator token 403 no_implicit_access; a suspended tenant\'s agent is 403', async () => {
    expect((await ingest({ batch_id: 'a', results: [] }, tenant)).statusCode).toBe(401);
    expect((await ingest({ batch_id: 'a', results: [] }, operator)).json()).toMatchObject({ error: { code: 'no_implicit_access' } });
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/ingest-a/suspend', headers: operator, payload: { reason: 'unpaid' } });
    expect((await ingest({ batch_id: 'a', results: results(1, now()) })).json()).toMatchObject({ error: { code: 'tenant_suspended' } });
  });

  it('query_budget bounds telemetry reads per minute with 429 rate_limited', async () => {
    await setFairness({ ingest_rate_per_sec: 100, query_budget: 2 });
    expect((await t.app.inject({ method: 'GET', url: '/v1/telemetry/summary', headers: reader })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/telemetry/results', headers: reader })).statusCode).toBe(200);
    const refused = await t.app.inject({ method: 'GET', url: '/v1/telemetry/flows', headers: reader });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited', details: { retry_after_ms: 30_000 } } });
  });

  it('PUT fairness applies live, defaults the burst to two seconds of rate, and is ledgered as FAIRNESS_CHANGED in both ledgers', async () => {
    const put = await setFairness({ ingest_rate_per_sec: 250, query_budget: 30 });
    expect(TenantFairness.parse(put.json())).toMatchObject({ ingest_rate_per_sec: 250, ingest_burst: 500, query_budget: 30, live_replicas: 1 });
    const list = await t.app.inject({ method: 'GET', url: '/provider/v1/fairness', headers: operator });
    expect(list.json<{ items: { slug: string; ingest_rate_per_sec: number }[] }>().items).toContainEqual(expect.objectContaining({ slug: 'ingest-a', ingest_rate_per_sec: 250 }));
    const provider = await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=FAIRNESS_CHANGED', headers: operator });
    expect(provider.json<{ items: unknown[] }>().items).toHaveLength(1);
    const own = await t.app.inject({ method: 'GET', url: '/v1/audit?event_type=FAIRNESS_CHANGED', headers: tenant });
    expect(own.json<{ items: { details: unknown }[] }>().items[0]?.details).toMatchObject({ to: { ingest_rate_per_sec: 250 } });
    const bad = await setFairness({ ingest_rate_per_sec: 0, query_budget: 1 });
    expect(bad.statusCode).toBe(400);
    const billing = await t.operatorHeaders('billing', ['billing_viewer']);
    expect((await t.app.inject({ method: 'PUT', url: '/provider/v1/tenants/ingest-a/fairness', headers: billing, payload: { ingest_rate_per_sec: 1, query_budget: 1 } })).statusCode).toBe(403);
  });

  it('serves fairness counters on /metrics in Prometheus text', async () => {
    await ingest({ batch_id: 'm', results: results(7, now()) });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: operator });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('bulkhead_ingest_admitted_units{tenant="ingest-a"} 7');
  });

  it('shows operators the writer lane each tenant queues in, on the fairness routes and /metrics', async () => {
    const agents: [Headers, string][] = [[agent, TEST_ID]];
    for (const [slug, model] of [['ingest-b', 'pooled'], ['ingest-h', 'hybrid']] as const) {
      const admin = await t.tenantAdminHeaders(slug, model);
      const [testId = ''] = await definedTests(t.app, admin);
      agents.push([await enrolledAgentHeaders(t.app, admin), testId]);
    }
    for (const [headers, testId] of agents) expect((await ingest({ batch_id: 'lane', results: results(1, now(), {}, testId) }, headers)).statusCode).toBe(202);
    const list = await t.app.inject({ method: 'GET', url: '/provider/v1/fairness', headers: operator });
    const lanes = new Map(list.json<{ items: unknown[] }>().items.map((item) => TenantFairness.parse(item)).map((row) => [row.slug, { id: row.tenant_id, lane: row.write_lane }]));
    const [a, b, h] = ['ingest-a', 'ingest-b', 'ingest-h'].map((slug) => lanes.get(slug));
    expect(h?.lane).toBe(`own:${h?.id ?? ''}`);
    if (t.engine.config.engine === 'sqlite') {
      // Placed in the cell with the fewest pooled tenants: two pooled tenants, two cells of the default four.
      expect([a?.lane, b?.lane]).toEqual(['cell:0', 'cell:1']);
    } else {
      expect([a?.lane, b?.lane]).toEqual(['pooled', 'pooled']);
    }
    const one = TenantFairness.parse((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/ingest-b/fairness', headers: operator })).json());
    expect(one.write_lane).toBe(b?.lane);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: operator })).body;
    for (const [slug, row] of lanes) expect(metrics).toContain(`bulkhead_ingest_write_lane_info{tenant="${slug}",lane="${row.lane}"} 1`);
  });

  it('insights flag a test whose latency jumps in the latest window (robust z-score) and count one ai_calls unit per call', async () => {
    await setFairness({ ingest_rate_per_sec: 100_000, query_budget: 100 });
    const [steady = '', jumpy = ''] = await definedTests(t.app, tenant, 2);
    const end = t.clock.now().getTime();
    const rows = [];
    for (let minute = 59; minute >= 0; minute--) {
      const ts = new Date(end - minute * 60_000 - 1000).toISOString();
      rows.push({ test_id: steady, ts, latency_ms: 20 + (minute % 3), ok: true });
      rows.push({ test_id: jumpy, ts, latency_ms: minute < 5 ? 400 : 30 + (minute % 4), ok: true });
    }
    expect((await ingest({ batch_id: 'history', results: rows })).statusCode).toBe(202);
    const response = await t.app.inject({ method: 'POST', url: '/v1/insights', headers: reader, payload: {} });
    expect(response.statusCode).toBe(200);
    const insight = response.json<{ tests_analyzed: number; anomalies: { test_id: string; metric: string; robust_z: number }[] }>();
    expect(insight.tests_analyzed).toBe(2);
    expect(insight.anomalies.map((anomaly) => [anomaly.test_id, anomaly.metric])).toEqual([[jumpy, 'latency_p50_ms']]);
    expect(insight.anomalies[0]?.robust_z).toBeGreaterThan(3.5);
    const usage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    try {
      const record = await usage.tenants.bySlug('ingest-a');
      if (record === null) throw new Error('tenant missing');
      const meters = await usage.telemetry.usage(record, '2000-01-01', '2999-12-31');
      expect(meters).toContainEqual(expect.objectContaining({ meter: 'ai_calls', value: 1 }));
      expect(meters).toContainEqual(expect.objectContaining({ meter: 'results_ingested', value: 120 }));
    } finally {
      await usage.close();
    }
  });
});
