import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProbeTest } from '../../../contracts/probe-tests';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

describe('/v1/tests: the tenant\'s probe tests catalog', () => {
  let t: TestApp;
  let a: Headers;
  let b: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    a = await t.tenantAdminHeaders('tenant-a', 'siloed', { max_tests: 2 });
    b = await t.tenantAdminHeaders('tenant-b', 'pooled', { max_tests: 2 });
  });

  afterEach(async () => {
    await t.close();
  });

  const create = (headers: Headers, payload: object) => t.app.inject({ method: 'POST', url: '/v1/tests', headers, payload });

  it('creates, lists and deletes tests per tenant, within max_tests (429 quota_exceeded)', async () => {
    const web = await create(a, { name: 'web', target: 'https://acme.example/health', kind: 'http', interval_s: 60 });
    expect(web.statusCode).toBe(201);
    const test = ProbeTest.parse(web.json());
    expect((await create(a, { name: 'dns', target: 'acme.example', kind: 'dns', interval_s: 300 })).statusCode).toBe(201);
    const third = await create(a, { name: 'ping', target: '192.0.2.1', kind: 'icmp', interval_s: 30 });
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error: { code: 'quota_exceeded', details: { quota: 'max_tests', limit: 2, used: 2 } } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tests', headers: a })).json<{ items: unknown[] }>().items).toHaveLength(2);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: a })).json()).toMatchObject({ counts: { tests: 2 } });
    // Tenant B sees none of A's tests and cannot delete them.
    expect((await t.app.inject({ method: 'GET', url: '/v1/tests', headers: b })).json()).toEqual({ items: [], next_cursor: null });
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/tests/${test.id}`, headers: b })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/tests/${test.id}`, headers: a })).statusCode).toBe(204);
    expect((await create(a, { name: 'ping', target: '192.0.2.1', kind: 'icmp', interval_s: 30 })).statusCode).toBe(201);
    const ledger = (await t.app.inject({ method: 'GET', url: '/v1/audit', headers: a })).json<{ items: { event_type: string; details: Record<string, unknown> }[] }>();
    expect(ledger.items.map((entry) => entry.event_type).slice(0, 4)).toEqual(['TEST_CREATED', 'TEST_DELETED', 'TEST_CREATED', 'TEST_CREATED']);
    expect(JSON.stringify(ledger.items)).not.toContain('acme.example/health');
  });

  it.each([
    { name: 'x', target: 'ftp://acme.example', kind: 'http', interval_s: 60 },
    { name: 'x', target: 'https://acme.example', kind: 'smtp', interval_s: 60 },
    { name: 'x', target: 'not a host', kind: 'dns', interval_s: 60 },
    { name: 'x', target: 'acme.example', kind: 'icmp', interval_s: 1 },
    { name: '', target: 'acme.example', kind: 'icmp', interval_s: 60 },
    { name: 'x', target: 'acme.example', kind: 'icmp', interval_s: 60, owner: 'me' },
  ])('refuses %j with 400 invalid_request', async (payload) => {
    const response = await create(a, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
