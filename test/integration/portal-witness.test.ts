import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerEntryView } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { clearDiscoveryCache, closeOidcConnections } from '../../control-plane/identity/oidc-relying-party';
import { PortalApiError, type PortalApi } from '../../src-portal/src/api';
import { keptHeadKey, witnessTenantLedger } from '../../src-portal/src/witness';
import { buildTestApp, injectCall, type TestApp } from '../helpers/control-plane-harness';
import { rewriteLedger } from '../helpers/ledger-rewrite';
import { portalCookieSession, portalTenant, type PortalCookieSession } from '../helpers/portal-fixtures';
import { startTestIdp, type TestIdp } from '../helpers/test-idp';

const BASE = 'portal.example.test';
const host = `tenant-a.${BASE}`;

/**
 * The portal as a witness of its tenant's ledger (#25), its own module (src-portal/src/witness.ts)
 * against a real control plane through a real portal session (cookie and CSRF value, as the page
 * calls): a consistent head is kept, a genuinely rewritten ledger (same key material, rows replaced
 * and re-rooted) is caught, the kept head kept, and the failure reported once with the CSRF value.
 */
describe('the portal witnesses its ledger', () => {
  let idp: TestIdp;
  let t: TestApp;
  let portal: PortalCookieSession;

  beforeAll(async () => {
    idp = await startTestIdp({ clients: [{ clientId: 'portal-a', clientSecret: 'secret-a-1234567890', redirectUris: [`https://${host}/portal/callback`] }], accounts: { alice: { email: 'alice@tenant-a.example', name: 'Alice', groups: [], tenant: 'tenant-a' } } });
    clearDiscoveryCache();
    t = await buildTestApp({ baseDomain: BASE });
    await portalTenant({ call: injectCall(t.app), onboarding: (await t.tenantAdminHeaders('tenant-a', 'pooled')).authorization, slug: 'tenant-a', idp, clientId: 'portal-a', clientSecret: 'secret-a-1234567890', account: 'alice', role: 'admin' });
    portal = await portalCookieSession(t.app, host, idp, 'alice');
  }, 120_000);

  afterAll(async () => {
    await t.close();
    await closeOidcConnections();
    await idp.close();
  });

  /** The page's own calls: same origin, the cookie, and on a POST the session's CSRF value. */
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, csrf = portal.csrf): Promise<unknown> => {
    const response = await t.app.inject({ method, url, headers: { host, cookie: portal.cookie, 'sec-fetch-site': 'same-origin', ...(method === 'GET' ? {} : { 'x-bulkhead-csrf': csrf }) }, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
    if (response.statusCode >= 300) throw new PortalApiError(response.statusCode, response.json<{ error: { code: string } }>().error.code, response.body);
    return response.json();
  };
  const api: PortalApi = { get: (url) => call('GET', url), send: (method, url, body) => call(method as 'POST', url, body) };

  it('keeps a consistent head, and catches a rewritten ledger, keeping the old head and reporting it once', async () => {
    const items = new Map<string, string>();
    const storage = { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) };
    const ledger = ((await api.get('/v1/tenant')) as { id: string }).id;
    const look = () => witnessTenantLedger({ api, storage, host, ledger });

    const first = await look();
    expect(first).toMatchObject({ state: 'first', kept: null, seen: { ledger } });
    await call('PUT', '/v1/break-glass/settings', { required_approvals: 1 });
    const second = await look();
    expect(second).toMatchObject({ state: 'witnessed', kept: { head: first.seen } });
    expect(second.seen.tree_size).toBeGreaterThan(first.seen.tree_size);
    const kept = items.get(keptHeadKey(host, ledger));
    expect(JSON.parse(kept ?? '{}')).toMatchObject({ head: second.seen });

    // Without the CSRF value a report is refused, as every portal POST is.
    const report = { problem: 'history_rewritten', kept: second.seen, seen: second.seen };
    await expect(call('POST', '/v1/audit/witness-failures', report, '')).rejects.toMatchObject({ status: 403, code: 'csrf_rejected' });

    const history = pageOf(LedgerEntryView).parse(await api.get('/v1/audit?limit=1000')).items.reverse();
    const forged = history[0];
    if (forged === undefined) throw new Error('no entry');
    await rewriteLedger(t.engine, t.deploymentKey, ledger, history, { seq: forged.seq, details: { ...forged.details, forged: true } });
    expect(await api.get('/v1/audit/verify')).toMatchObject({ ok: true });

    const caught = await look();
    expect(caught).toMatchObject({ state: 'rewritten', kept: { head: second.seen }, record_error: null, recorded: { ledger } });
    expect(caught.message).toMatch(/^History rewritten/);
    expect(items.get(keptHeadKey(host, ledger))).toBe(kept);
    expect(await look()).toMatchObject({ state: 'rewritten', recorded: caught.recorded });
    const failures = pageOf(LedgerEntryView).parse(await api.get('/v1/audit?event_type=WITNESS_FAILED')).items;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ seq: caught.recorded?.seq, details: { problem: 'history_rewritten', kept: second.seen } });
  });
});
