import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerVerifyView } from '../../contracts/audit';
import { LoginResponse } from '../../contracts/operators';
import { Tenant } from '../../contracts/tenants';
import { startControlPlane, type RunningControlPlane } from '../helpers/control-plane-harness';
import { licenseText, mintLicense, testSigner } from '../helpers/startup-fixtures';

/**
 * The provider-plane journey of the issue, over real HTTPS with the data dir's CA pinned:
 * init → login with TOTP → pooled, siloed and hybrid tenants → the band → suspend → resume →
 * delete → both kinds of ledger verify.
 */
describe('provider journey over real HTTPS', () => {
  const signer = testSigner();
  let cp: RunningControlPlane;
  let agent: Agent;
  let token = '';

  beforeAll(async () => {
    cp = await startControlPlane({ licenseText: licenseText(mintLicense(signer, { tenant_band: 3, tier: 'isolation' })), licenseTrust: signer.trust });
    agent = new Agent({ connect: { ca: cp.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await cp.close();
  });

  async function api(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await request(`${cp.url}${path}`, {
      method,
      dispatcher: agent,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as unknown) : null };
  }

  it('runs the whole journey', async () => {
    // Login with password and TOTP.
    const login = await api('POST', '/provider/v1/auth/login', { username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode() });
    expect(login.status).toBe(201);
    token = LoginResponse.parse(login.json).token;

    // Three tenants, one per isolation model.
    const tenants: Tenant[] = [];
    for (const [slug, isolation_model] of [
      ['acme', 'pooled'],
      ['globex', 'siloed'],
      ['initech', 'hybrid'],
    ] as const) {
      const created = await api('POST', '/provider/v1/tenants', { slug, name: slug.toUpperCase(), isolation_model, residency: 'eu' });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      tenants.push(Tenant.parse(created.json));
    }

    // The band: the fourth is refused and the three are untouched.
    const fourth = await api('POST', '/provider/v1/tenants', { slug: 'umbrella', name: 'Umbrella' });
    expect(fourth.status).toBe(409);
    expect(fourth.json).toMatchObject({ error: { code: 'tenant_band_exhausted' } });
    expect((await api('GET', '/provider/v1/license')).json).toMatchObject({ tenant_band: 3, tenants_used: 3 });
    const listed = (await api('GET', '/provider/v1/tenants')).json as { items: Tenant[] };
    expect(listed.items.map((tenant) => [tenant.slug, tenant.state])).toEqual([
      ['acme', 'active'],
      ['globex', 'active'],
      ['initech', 'active'],
    ]);

    // A new license with a bigger band takes effect without a restart.
    writeFileSync(join(cp.dataDir, 'license.json'), licenseText(mintLicense(signer, { tenant_band: 4, tier: 'isolation', license_id: 'bigger' })));
    expect((await api('GET', '/provider/v1/license')).json).toMatchObject({ tenant_band: 4 });

    // Suspend, resume, delete.
    expect((await api('POST', '/provider/v1/tenants/globex/suspend', { reason: 'invoice overdue' })).json).toMatchObject({ state: 'suspended' });
    expect((await api('POST', '/provider/v1/tenants/globex/resume', { reason: 'paid' })).json).toMatchObject({ state: 'active' });
    expect((await api('DELETE', '/provider/v1/tenants/globex')).status).toBe(204);
    expect((await api('GET', '/provider/v1/tenants/globex')).json).toMatchObject({ state: 'deleted' });

    // The provider ledger holds every step and verifies.
    const audit = (await api('GET', '/provider/v1/audit?limit=1000')).json as { items: { event_type: string; tenant_id: string | null }[] };
    expect(audit.items.map((entry) => entry.event_type).reverse()).toEqual([
      'OPERATOR_CREATED',
      'OPERATOR_LOGIN',
      'TENANT_CREATED',
      'TENANT_CREATED',
      'TENANT_CREATED',
      'TENANT_SUSPENDED',
      'TENANT_RESUMED',
      'TENANT_DELETED',
    ]);
    const verify = LedgerVerifyView.parse((await api('GET', '/provider/v1/audit/verify')).json);
    expect(verify).toMatchObject({ ok: true, size: 8 });
    const globex = tenants[1];
    const globexEvents = (await api('GET', `/provider/v1/audit?tenant=${globex?.id ?? ''}`)).json as { items: { event_type: string }[] };
    expect(globexEvents.items.map((entry) => entry.event_type)).toEqual(['TENANT_DELETED', 'TENANT_RESUMED', 'TENANT_SUSPENDED', 'TENANT_CREATED']);

    // Logout revokes the session.
    expect((await api('POST', '/provider/v1/auth/logout')).status).toBe(204);
    expect((await api('GET', '/provider/v1/tenants')).status).toBe(401);
  });
});
