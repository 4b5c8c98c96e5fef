import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newScrapeToken } from '../auth/scrape-token';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../test/helpers/control-plane-harness';

/**
 * /metrics names every tenant (its fairness counters are labelled by slug), so it takes a credential
 * from every caller: inject() arrives from 127.0.0.1, the loopback caller it once trusted.
 */
describe('GET /metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-metrics-'));
  const scrapeToken = newScrapeToken();
  let t: TestApp;
  let bare: TestApp;

  beforeAll(async () => {
    const tokenFile = join(dir, 'metrics.token');
    writeFileSync(tokenFile, `${scrapeToken}\n`, { mode: 0o600 });
    t = await buildTestApp({ metricsTokenFile: tokenFile });
    bare = await buildTestApp();
    // One admitted batch, so the counters name the tenant.
    const tenant = await t.tenantAdminHeaders('metrics-a', 'pooled');
    const [testId = ''] = await definedTests(t.app, tenant);
    const agent = await enrolledAgentHeaders(t.app, tenant);
    const ingested = await t.app.inject({
      method: 'POST',
      url: '/agent/v1/ingest',
      headers: { authorization: agent.authorization },
      payload: { batch_id: 'metrics-1', results: [{ test_id: testId, ts: t.clock.now().toISOString(), latency_ms: 5, ok: true }] },
    });
    expect(ingested.statusCode).toBe(202);
  }, 120_000);

  afterAll(async () => {
    await t.close();
    await bare.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = (app: TestApp, authorization?: string) => app.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', ...(authorization === undefined ? {} : { headers: { authorization } }) });

  it('refuses a loopback caller without a credential, and says which credentials it takes', async () => {
    const answer = await scrape(t);
    expect(answer.statusCode).toBe(401);
    expect(answer.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('--metrics-token-file') as unknown } });
    expect(answer.body).not.toContain('metrics-a');
  });

  it('serves the scrape token it was started with, and refuses another', async () => {
    const answer = await scrape(t, `Bearer ${scrapeToken}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('bulkhead_ingest_admitted_units{tenant="metrics-a"} 1');
    expect((await scrape(t, `Bearer ${newScrapeToken()}`)).statusCode).toBe(401);
  });

  it('refuses every scrape token when started without one', async () => {
    expect((await scrape(bare, `Bearer ${scrapeToken}`)).statusCode).toBe(401);
  });

  it('serves operators whose role reads fairness, not a billing viewer', async () => {
    expect((await scrape(t, (await t.adminHeaders()).authorization)).statusCode).toBe(200);
    expect((await scrape(t, (await t.operatorHeaders('metrics-ops', ['provider_operator'])).authorization)).statusCode).toBe(200);
    const billing = await scrape(t, (await t.operatorHeaders('metrics-billing', ['billing_viewer'])).authorization);
    expect(billing.statusCode).toBe(403);
    expect(billing.body).not.toContain('metrics-a');
  });

  it("refuses a tenant's credential", async () => {
    const tenant = await t.tenantAdminHeaders('metrics-b', 'siloed');
    const answer = await scrape(t, tenant.authorization);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).not.toContain('metrics-a');
  });
});
