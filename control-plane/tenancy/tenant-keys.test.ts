import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { SealError } from '../crypto/seal';
import { TenantCrypto, TenantKeyDestroyedError } from './tenant-keys';

describe('tenant data keys: seal with the tenant key, crypto-shred on delete', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  it('seals per tenant; another tenant or another purpose cannot open it; after delete nothing can', async () => {
    const admin = await t.adminHeaders();
    const ids: string[] = [];
    for (const slug of ['tenant-a', 'tenant-b']) {
      const created = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug, name: slug } });
      ids.push(created.json<{ id: string }>().id);
    }
    const [a = '', b = ''] = ids;
    const deploymentKey = Buffer.from(t.deploymentKey, 'base64');
    // A second handle on the same files: what any component with the deployment key sees.
    const storage = await t.engine.openStorage(deploymentKey);
    try {
      const crypto = new TenantCrypto(storage, deploymentKey);
      const sealed = await crypto.seal(a, Buffer.from('flow records of tenant a'), 'telemetry-batch');
      expect(sealed.includes(Buffer.from('flow records'))).toBe(false);
      expect((await crypto.open(a, sealed, 'telemetry-batch')).toString()).toBe('flow records of tenant a');
      await expect(crypto.open(b, sealed, 'telemetry-batch')).rejects.toBeInstanceOf(SealError);
      await expect(crypto.open(a, sealed, 'client-secret')).rejects.toBeInstanceOf(SealError);

      expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/tenant-a', headers: admin })).statusCode).toBe(204);
      await expect(crypto.open(a, sealed, 'telemetry-batch')).rejects.toBeInstanceOf(TenantKeyDestroyedError);
      await expect(crypto.seal(a, Buffer.from('more'), 'telemetry-batch')).rejects.toBeInstanceOf(TenantKeyDestroyedError);
      // Tenant b is untouched.
      const other = await crypto.seal(b, Buffer.from('b data'), 'x');
      expect((await crypto.open(b, other, 'x')).toString()).toBe('b data');
    } finally {
      await storage.close();
    }
  });
});
