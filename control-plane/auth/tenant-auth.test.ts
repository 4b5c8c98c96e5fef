import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';

/** The tenant plane's request limit (`api_rate_limit_rpm`), through the real app on a hand-moved clock. */
describe("a tenant's API rate limit on /v1", () => {
  let t: TestApp;
  let a: { authorization: string };
  let b: { authorization: string };
  const list = (headers: { authorization: string }) => t.app.inject({ method: 'GET', url: '/v1/tests', headers });

  beforeAll(async () => {
    t = await buildTestApp();
    a = await t.tenantAdminHeaders('rate-a', 'pooled', { api_rate_limit_rpm: 6 });
    b = await t.tenantAdminHeaders('rate-b', 'pooled', { api_rate_limit_rpm: 6 });
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  it("admits a minute's worth, then 429 rate_limited with Retry-After, for that tenant only", async () => {
    for (let i = 0; i < 6; i++) expect((await list(a)).statusCode).toBe(200);
    const refused = await list(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json()).toMatchObject({ error: { code: 'rate_limited', details: { api_rate_limit_rpm: 6 } } });
    expect((await list(b)).statusCode).toBe(200);
    // One request refills every 10 s at 6 per minute.
    t.clock.advance(10);
    expect((await list(a)).statusCode).toBe(200);
    expect((await list(a)).statusCode).toBe(429);
  });

  it("is spent only by the tenant's valid credentials: a stranger's bad tokens cannot exhaust it", async () => {
    t.clock.advance(60);
    for (let i = 0; i < 20; i++) {
      expect((await list({ authorization: 'Bearer bht_not-a-real-token-at-all' })).statusCode).toBe(401);
    }
    expect((await list(a)).statusCode).toBe(200);
  });

  it('follows the quota when the provider raises it', async () => {
    t.clock.advance(60);
    for (let i = 0; i < 6; i++) await list(b);
    expect((await list(b)).statusCode).toBe(429);
    const operator = await t.adminHeaders();
    const quotas = (await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/rate-b/quotas', headers: operator })).json<Record<string, number>>();
    const raised = await t.app.inject({ method: 'PUT', url: '/provider/v1/tenants/rate-b/quotas', headers: operator, payload: { ...quotas, api_rate_limit_rpm: 600 } });
    expect(raised.statusCode).toBe(200);
    t.clock.advance(1);
    // 600 per minute refills 10 a second.
    for (let i = 0; i < 10; i++) expect((await list(b)).statusCode).toBe(200);
  });
});
