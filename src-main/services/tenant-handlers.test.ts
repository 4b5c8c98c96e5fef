import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';

/** The tenant screens' channels through the real IPC router and ConsoleService, against a real control plane over HTTPS. */
describe('tenant handlers (tenants table, a tenant page) against a real control plane', () => {
  let c: ConsoleRouter;

  beforeAll(async () => {
    c = await consoleRouter();
    await c.result('tenants:create', { slug: 'acme', name: 'Acme', contact_email: 'ops@acme.example', plan: 'standard' });
  }, 60_000);

  afterAll(async () => {
    await c.close();
  });

  it('lists summaries a page at a time and reads one tenant by slug', async () => {
    // The control plane's clock moves only when the test moves it: a second later, so creation order is acme, beta-co.
    c.advance(1);
    await c.result('tenants:create', { slug: 'beta-co', name: 'Beta' });
    const first = await c.result<{ items: { slug: string }[]; next_cursor: string | null; month: string }>('tenants:summaries', { limit: 1 });
    expect(first.items.map((item) => item.slug)).toEqual(['acme']);
    expect(first.month).toMatch(/^\d{4}-\d{2}$/);
    const second = await c.result<{ items: { slug: string }[] }>('tenants:summaries', { limit: 1, cursor: first.next_cursor });
    expect(second.items.map((item) => item.slug)).toEqual(['beta-co']);
    expect(await c.call('tenants:summaries', { limit: 0 })).toMatchObject({ error: { code: 'invalid_request' } });
    expect(await c.call('tenants:get', { tenant: 'acme' })).toMatchObject({ result: { slug: 'acme', plan: 'standard', contact_email: 'ops@acme.example' } });
    expect(await c.call('tenants:get', { tenant: 'nobody-here' })).toMatchObject({ error: { code: 'not_found' } });
  });

  it('changes plan and contact, and answers a bad email at its field', async () => {
    expect(await c.call('tenants:update', { tenant: 'acme', plan: 'enterprise', contact_email: null })).toMatchObject({ result: { plan: 'enterprise', contact_email: null } });
    const refused = await c.call('tenants:update', { tenant: 'acme', contact_email: 'not an email' });
    expect(refused).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'contact_email' }] } } });
  });

  it('sets quotas and fairness; an out-of-range limit is refused at its field, by the console or the control plane', async () => {
    const quotas = { max_agents: 5, max_users: 6, max_tests: 7, storage_quota_mb: 100, api_rate_limit_rpm: 60 };
    expect(await c.call('quotas:set', { tenant: 'acme', ...quotas })).toEqual({ result: quotas });
    expect(await c.call('quotas:set', { tenant: 'acme', ...quotas, max_agents: -1 })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'max_agents' }] } } });
    expect(await c.call('tenants:get', { tenant: 'acme' })).toMatchObject({ result: { quotas } });

    expect(await c.call('fairness:set', { tenant: 'acme', ingest_rate_per_sec: 50, query_budget: 30 })).toMatchObject({ result: { slug: 'acme', ingest_rate_per_sec: 50, ingest_burst: 100, query_budget: 30, shed_units: 0 } });
    expect(await c.call('fairness:get', { tenant: 'acme' })).toMatchObject({ result: { ingest_rate_per_sec: 50, write_lane: expect.any(String) as unknown } });
    expect(await c.call('fairness:set', { tenant: 'acme', ingest_rate_per_sec: 0, query_budget: 30 })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'ingest_rate_per_sec' }] } } });
  });

  it('sets OIDC (the secret never comes back) and mints an onboarding token shown in the answer once', async () => {
    const oidc = await c.call('identity:set-oidc', { tenant: 'acme', issuer: 'https://idp.acme.example', client_id: 'bulkhead', client_secret: 'very-secret-value' });
    expect(oidc).toMatchObject({ result: { issuer: 'https://idp.acme.example', client_id: 'bulkhead', claim: 'tenant', owner: 'provider' } });
    expect(JSON.stringify(oidc)).not.toContain('very-secret-value');
    expect(await c.call('identity:set-oidc', { tenant: 'acme', issuer: 'http://idp.acme.example', client_id: 'x', client_secret: 'y' })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'issuer' }] } } });

    const minted = await c.result<{ token: string; kind: string; name: string }>('tenants:admin-token', { tenant: 'acme', expires_in_seconds: 3600, name: 'onboarding' });
    expect(minted).toMatchObject({ kind: 'admin', name: 'onboarding', token: expect.stringMatching(/^bht_/) as unknown });
    expect(await c.call('tenants:admin-token', { tenant: 'acme', expires_in_seconds: 10 })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'expires_in_seconds' }] } } });
  });

  it("lists the tenant's provider-ledger entries, filtered by event type", async () => {
    const page = await c.result<{ items: { event_type: string; tenant_id: string | null }[] }>('audit:list', { tenant: 'acme' });
    const types = page.items.map((item) => item.event_type);
    expect(types).toEqual(expect.arrayContaining(['TENANT_CREATED', 'QUOTA_CHANGED', 'FAIRNESS_CHANGED']));
    const tenantId = (await c.result<{ id: string }>('tenants:get', { tenant: 'acme' })).id;
    expect(page.items.every((item) => item.tenant_id === tenantId)).toBe(true);
    const quotaOnly = await c.result<{ items: { event_type: string }[] }>('audit:list', { tenant: 'acme', event_type: 'QUOTA_CHANGED' });
    expect(quotaOnly.items.map((item) => item.event_type)).toEqual(['QUOTA_CHANGED']);
    expect(await c.call('audit:list', { event_type: 'lowercase' })).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
