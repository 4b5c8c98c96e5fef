import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { PROVIDER_LEDGER } from '../audit/ledger-ids';
import type { Storage } from '../storage/types';
import { ProbeTargets } from './probe-targets';
import { ProbeTestService } from './probe-test-service';
import { TenantCrypto } from './tenant-keys';

/** Probe targets are tenant data: sealed with the tenant's key in every store, on both engines. */
describe('probe test targets', () => {
  let t: TestApp;
  let storage: Storage;
  let admin: { authorization: string };
  const target = (what: string) => `https://${what}-${Math.random().toString(36).slice(2, 10)}.internal.example.test/health`;
  const rawHas = async (text: string) => (await t.engine.rawContents()).some((content) => content.toString('latin1').includes(text));
  const listed = async () => (await t.app.inject({ method: 'GET', url: '/v1/tests', headers: admin })).json<{ items: { id: string; target: string }[] }>().items;

  beforeAll(async () => {
    t = await buildTestApp();
    admin = await t.tenantAdminHeaders('targets-a', 'hybrid');
    // A second handle on the same store, as an older version would have written it.
    storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
  }, 120_000);

  afterAll(async () => {
    await storage.close();
    await t.close();
  });

  it('stores a new target sealed, and shows it to the tenant in clear', async () => {
    const where = target('new');
    const created = await t.app.inject({ method: 'POST', url: '/v1/tests', headers: admin, payload: { name: 'checkout', target: where, kind: 'http', interval_s: 60 } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ target: where });
    expect((await listed()).map((test) => test.target)).toContain(where);
    expect(await rawHas(where)).toBe(false);
    expect(await rawHas(new URL(where).hostname)).toBe(false);
  });

  it('seals targets an older version stored in clear, once, and ledgers it', async () => {
    const tenant = await storage.tenants.bySlug('targets-a');
    if (tenant === null) throw new Error('no tenant');
    const legacy = target('legacy');
    await storage.transaction((tx) => tx.createProbeTest(tenant, { id: '0b6a3a1e-7f3c-4c8e-9a51-2d7f0c1e9b11', name: 'legacy', target: legacy, kind: 'http', intervalS: 60, createdAt: new Date().toISOString() }));
    expect(await rawHas(legacy)).toBe(true);

    const service = new ProbeTestService({ storage, clock: () => new Date(), targets: new ProbeTargets(new TenantCrypto(storage, Buffer.from(t.deploymentKey, 'base64'))), changed: () => undefined });
    expect(await service.sealStoredTargets()).toBe(1);
    expect(await rawHas(legacy)).toBe(false);
    expect((await listed()).map((test) => test.target)).toContain(legacy);
    expect(await service.sealStoredTargets()).toBe(0);
    const entries = await storage.ledgers.entries(PROVIDER_LEDGER, { eventType: 'PROBE_TARGETS_SEALED', limit: 10 });
    expect(entries.map((entry) => entry.details)).toEqual([{ tests: 1 }]);
  });
});
