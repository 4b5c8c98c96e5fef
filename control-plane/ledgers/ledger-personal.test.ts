import { describe, expect, it } from 'vitest';
import { PERSONAL_FIELD, personalOpener, personalSealer } from './ledger-personal';
import { canonicalDetails } from '../audit/ledger-codec';
import { TenantCrypto, newTenantDataKey } from '../tenancy/tenant-keys';
import type { Storage } from '../storage/types';

const deploymentKey = Buffer.alloc(32, 7);

/** A TenantCrypto over a key store of one tenant, whose key can be destroyed. */
function cryptoWith(tenantId: string): { crypto: TenantCrypto; destroy: () => void } {
  let wrapped: Buffer | null = newTenantDataKey(deploymentKey, tenantId).wrapped;
  const storage = { tenantDataKey: (id: string) => Promise.resolve(id === tenantId ? wrapped : null) } as unknown as Storage;
  return { crypto: new TenantCrypto(storage, deploymentKey), destroy: () => (wrapped = null) };
}

describe('ledger-personal', () => {
  it('seals what names people so the stored details hold no trace of it, and opens it for the tenant', async () => {
    const tenant = '11111111-1111-4111-8111-111111111111';
    const { crypto } = cryptoWith(tenant);
    const seal = await personalSealer(crypto, tenant);
    const details = { user_id: 'u-1', ...seal({ user_name: 'grace@example.test', external_id: 'ext-9' }) };
    const stored = canonicalDetails(details);
    expect(stored).not.toContain('grace');
    expect(stored).not.toContain('ext-9');
    const open = await personalOpener(crypto, tenant);
    expect(open?.(JSON.parse(stored) as Record<string, unknown>)).toEqual({ user_name: 'grace@example.test', external_id: 'ext-9' });
    // Entries that name nobody open to null.
    expect(open?.({ user_id: 'u-1' })).toBeNull();
  });

  it("is bound to its tenant: another tenant's key opens nothing, and a destroyed key erases every name", async () => {
    const a = '22222222-2222-4222-8222-222222222222';
    const b = '33333333-3333-4333-8333-333333333333';
    const first = cryptoWith(a);
    const sealed = (await personalSealer(first.crypto, a))({ user_name: 'ada' });
    const other = cryptoWith(b);
    expect((await personalOpener(other.crypto, b))?.(sealed)).toBeNull();
    expect(typeof sealed[PERSONAL_FIELD]).toBe('string');
    first.destroy();
    expect(await personalOpener(first.crypto, a)).toBeNull();
  });
});
