import { randomBytes } from 'node:crypto';
import { open, seal } from '../crypto/seal';
import type { Storage } from '../storage/types';

const wrapPurpose = (tenantId: string) => `bulkhead/tenant-data-key/${tenantId}`;

/** A fresh 256-bit data key for a tenant, and its copy wrapped (AES-256-GCM) with the deployment key. */
export function newTenantDataKey(deploymentKey: Buffer, tenantId: string): { dataKey: Buffer; wrapped: Buffer } {
  const dataKey = randomBytes(32);
  return { dataKey, wrapped: seal(deploymentKey, dataKey, wrapPurpose(tenantId)) };
}

export class TenantKeyDestroyedError extends Error {
  constructor(readonly tenantId: string) {
    super(`the data key of tenant ${tenantId} has been destroyed`);
    this.name = 'TenantKeyDestroyedError';
  }
}

/**
 * Seal and open for one tenant's secrets and payloads, with that tenant's own data key. Once the
 * tenant is deleted its key is gone, and everything sealed with it stays unreadable.
 */
export class TenantCrypto {
  constructor(
    private readonly storage: Storage,
    private readonly deploymentKey: Buffer,
  ) {}

  private async dataKey(tenantId: string): Promise<Buffer> {
    const wrapped = await this.storage.tenantDataKey(tenantId);
    if (wrapped === null) {
      throw new TenantKeyDestroyedError(tenantId);
    }
    return open(this.deploymentKey, wrapped, wrapPurpose(tenantId));
  }

  async seal(tenantId: string, plaintext: Buffer, purpose: string): Promise<Buffer> {
    return seal(await this.dataKey(tenantId), plaintext, `${tenantId}/${purpose}`);
  }

  async open(tenantId: string, sealed: Buffer, purpose: string): Promise<Buffer> {
    return open(await this.dataKey(tenantId), sealed, `${tenantId}/${purpose}`);
  }

  /** Seal and open for one purpose without a storage read each time (the key is read once, here). */
  async keyFor(tenantId: string, purpose: string): Promise<{ seal(plaintext: Buffer): Buffer; open(sealed: Buffer): Buffer }> {
    const key = await this.dataKey(tenantId);
    const bound = `${tenantId}/${purpose}`;
    return { seal: (plaintext) => seal(key, plaintext, bound), open: (sealed) => open(key, sealed, bound) };
  }
}
