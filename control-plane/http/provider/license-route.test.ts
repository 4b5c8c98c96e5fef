import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { licenseText, mintLicense, testSigner, type TestSigner } from '../../../test/helpers/startup-fixtures';

type Headers = { authorization: string };

/** PUT /provider/v1/license: a provider admin replaces the license file; anything that does not verify is 400 license_invalid. */
describe('replacing the license (PUT /provider/v1/license)', () => {
  let t: TestApp;
  let signer: TestSigner;
  let admin: Headers;

  const put = (payload: unknown, headers?: Headers) => t.app.inject({ method: 'PUT', url: '/provider/v1/license', payload: payload as Record<string, unknown>, ...(headers === undefined ? {} : { headers }) });
  const licenseView = async () => (await t.app.inject({ method: 'GET', url: '/provider/v1/license', headers: admin })).json<Record<string, unknown>>();

  beforeAll(async () => {
    signer = testSigner();
    t = await buildTestApp({ licenseTrust: signer.trust, licenseText: licenseText(mintLicense(signer, { license_id: 'first', tenant_band: 25 }, new Date('2026-11-22T10:00:05Z'))) });
    admin = await t.adminHeaders();
    await t.tenantAdminHeaders('licensed', 'pooled');
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  it('puts a verified license in force at once, writes the file and ledgers LICENSE_REPLACED', async () => {
    const next = mintLicense(signer, { license_id: 'second', licensee: 'Bigger MSP', tenant_band: 500 }, t.clock.now());
    const response = await put(next, admin);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ licensee: 'Bigger MSP', tenant_band: 500, tenants_used: 1, expires_at: next.payload.expires_at });
    expect(await licenseView()).toMatchObject({ licensee: 'Bigger MSP', tenant_band: 500 });
    expect(JSON.parse(readFileSync(join(t.dataDir, 'license.json'), 'utf8'))).toEqual(next);
    const audit = await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=LICENSE_REPLACED', headers: admin });
    const [entry] = audit.json<{ items: { event_type: string; tenant_id: string | null; details: Record<string, unknown> }[] }>().items;
    expect(entry).toMatchObject({ event_type: 'LICENSE_REPLACED', tenant_id: null, details: { license_id: 'second', replaced_license_id: 'first', tenant_band: 500 } });
    // The ledger still verifies with the new entry in it.
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/audit/verify', headers: admin })).json()).toMatchObject({ ok: true });
  });

  it('refuses what does not verify with 400 license_invalid and the reason, leaving the license in force', async () => {
    const genuine = mintLicense(signer, { license_id: 'third' }, t.clock.now());
    const other = testSigner('other-key');
    const cases: [string, unknown, string][] = [
      ['not a license', { hello: 'world' }, 'license_invalid'],
      ['altered', { ...genuine, payload: { ...genuine.payload, tenant_band: 1_000_000 } }, 'license_invalid'],
      ['unknown signer', mintLicense(other, {}, t.clock.now()), 'license_invalid'],
      ['expired', mintLicense(signer, { issued_at: '2020-01-01T00:00:00.000Z', expires_at: '2021-01-01T00:00:00.000Z' }, t.clock.now()), 'license_expired'],
      ['an array', [1, 2], 'license_invalid'],
    ];
    for (const [name, body, reason] of cases) {
      const response = await put(body, admin);
      expect(response.statusCode, name).toBe(400);
      expect(response.json(), name).toMatchObject({ error: { code: 'license_invalid', details: { reason } } });
    }
    expect(await licenseView()).toMatchObject({ licensee: 'Bigger MSP', tenant_band: 500 });
    const audit = await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=LICENSE_REPLACED', headers: admin });
    expect(audit.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('is for provider admins only: operators and billing viewers 403 (license:write), no credential or a tenant token 401', async () => {
    const next = mintLicense(signer, { license_id: 'sneaky', tenant_band: 1_000_000 }, t.clock.now());
    for (const roles of [['provider_operator'], ['billing_viewer']]) {
      const headers = await t.operatorHeaders(`op-${roles[0] ?? ''}`.replace('_', '-'), roles);
      const refused = await put(next, headers);
      expect(refused.statusCode, roles.join()).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'forbidden', details: { permission: 'license:write' } } });
      // Reading the license stays theirs.
      expect((await t.app.inject({ method: 'GET', url: '/provider/v1/license', headers })).statusCode).toBe(200);
    }
    expect((await put(next)).statusCode).toBe(401);
    expect((await put(next, await t.tenantAdminHeaders('tenant-side', 'pooled'))).statusCode).toBe(401);
    expect(await licenseView()).toMatchObject({ tenant_band: 500 });
  });
});
