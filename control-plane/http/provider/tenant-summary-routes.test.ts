import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TenantSummaryPage } from '../../../contracts/tenants';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

// GET /provider/v1/tenant-summaries: the console's tenants table (on SQLite in `node`, PostgreSQL in `postgres`).
describe('provider plane: tenant summaries', () => {
  let t: TestApp;
  let admin: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const summaries = async (query = '', headers: Headers = admin) => {
    const response = await t.app.inject({ method: 'GET', url: `/provider/v1/tenant-summaries${query}`, headers });
    expect(response.statusCode, response.body).toBe(200);
    return TenantSummaryPage.parse(response.json());
  };

  /** A tenant with one agent that ingested `admitted` results and had `shed` more refused by its rate. */
  const busyTenant = async (slug: string) => {
    const tenant = await t.tenantAdminHeaders(slug, 'pooled');
    const [testId] = await definedTests(t.app, tenant);
    const agent = await enrolledAgentHeaders(t.app, tenant);
    const put = await t.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${slug}/fairness`, headers: admin, payload: { ingest_rate_per_sec: 100, ingest_burst: 200, query_budget: 100 } });
    expect(put.statusCode).toBe(200);
    const batch = (id: string, count: number) => ({ batch_id: id, results: Array.from({ length: count }, () => ({ test_id: testId, ts: t.clock.now().toISOString(), latency_ms: 12, ok: true })) });
    expect((await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload: batch('a', 150) })).statusCode).toBe(202);
    expect((await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload: batch('b', 100) })).statusCode).toBe(429);
  };

  it("answers each tenant's counts, results this month and shed rate; a quiet tenant has 0 results and no shed rate", async () => {
    await busyTenant('busy-co');
    await t.tenantAdminHeaders('quiet-co', 'pooled');
    const page = await summaries();
    expect(page.month).toBe('2026-11');
    expect(page.next_cursor).toBeNull();
    const bySlug = new Map(page.items.map((item) => [item.slug, item]));
    expect(bySlug.get('busy-co')).toMatchObject({ agents: 1, users: 0, results_this_month: 150, shed_rate: 0.4, state: 'active', isolation_model: 'pooled' });
    expect(bySlug.get('quiet-co')).toMatchObject({ agents: 0, results_this_month: 0, shed_rate: null });
    // Counts and rates only: nothing of a result (test ids, latencies, targets) is in the answer.
    expect(JSON.stringify(page)).not.toMatch(/latency|test_id|target/);
  });

  it('counts only the current UTC month: results of last month are not this month’s', async () => {
    await busyTenant('busy-co');
    t.clock.advance(10 * 24 * 3600); // 2026-11-22 → 2026-12-02
    const page = await summaries('', await t.freshAdminHeaders());
    expect(page.month).toBe('2026-12');
    expect(page.items[0]).toMatchObject({ slug: 'busy-co', results_this_month: 0 });
  });

  it('pages in creation order with an opaque cursor, filters by state, and refuses a foreign cursor with 400', async () => {
    for (const slug of ['t-one', 't-two', 't-three']) {
      await t.tenantAdminHeaders(slug, 'pooled');
      t.clock.advance(1);
    }
    expect((await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/t-two/suspend', headers: admin, payload: { reason: 'unpaid' } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/t-three', headers: admin })).statusCode).toBe(204);
    const first = await summaries('?limit=2');
    expect(first.items.map((item) => item.slug)).toEqual(['t-one', 't-two']);
    const second = await summaries(`?limit=2&cursor=${String(first.next_cursor)}`);
    expect(second.items.map((item) => item.slug)).toEqual(['t-three']);
    expect(second.items[0]).toMatchObject({ state: 'deleted', agents: 0, users: 0, results_this_month: null, shed_rate: null });
    expect(second.next_cursor).toBeNull();
    expect((await summaries('?state=suspended')).items.map((item) => item.slug)).toEqual(['t-two']);
    const foreign = await t.app.inject({ method: 'GET', url: '/provider/v1/tenant-summaries?cursor=bm90LW91cnM', headers: admin });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const tooMany = await t.app.inject({ method: 'GET', url: '/provider/v1/tenant-summaries?limit=1001', headers: admin });
    expect(tooMany.statusCode).toBe(400);
  });

  it('roles: an operator reads the shed rate, not the results (usage:read is billing\'s); a billing viewer the results, not the shed rate (fairness:read)', async () => {
    await busyTenant('busy-co');
    const operator = await t.operatorHeaders('ops-1', ['provider_operator']);
    expect((await summaries('', operator)).items[0]).toMatchObject({ slug: 'busy-co', agents: 1, results_this_month: null, shed_rate: 0.4 });
    const billing = await t.operatorHeaders('billing-1', ['billing_viewer']);
    expect((await summaries('', billing)).items[0]).toMatchObject({ slug: 'busy-co', agents: 1, results_this_month: 150, shed_rate: null });
  });

  it('is the provider plane only: no credential is 401, and a tenant token (even its onboarding admin) cannot reach it', async () => {
    const tenant = await t.tenantAdminHeaders('acme', 'pooled');
    const owned = await t.ownedTenantHeaders('owned-co', 'pooled');
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenant-summaries' })).statusCode).toBe(401);
    for (const headers of [tenant, owned]) {
      const response = await t.app.inject({ method: 'GET', url: '/provider/v1/tenant-summaries', headers });
      expect(response.statusCode).toBe(401);
      expect(response.body).not.toContain('acme');
    }
  });
});
