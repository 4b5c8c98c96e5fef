import type { TenantCrypto } from './tenant-keys';

/** How a sealed target is stored in the `target` column: a marker, then the sealed bytes in base64. */
const SEALED = 'sealed:v1:';
const PURPOSE = 'probe-test-target';

/** Whether a stored target is sealed (targets stored before sealing are plain text until sealed). */
export function isSealedTarget(stored: string): boolean {
  return stored.startsWith(SEALED);
}

/**
 * A tenant's probe targets (URLs, host names, addresses: where its tests probe), sealed with the
 * tenant's own data key, so the shared store holds none in clear and crypto-shred erases them.
 */
export class ProbeTargets {
  constructor(private readonly crypto: TenantCrypto) {}

  async sealer(tenantId: string): Promise<{ seal(target: string): string; open(stored: string): string }> {
    const key = await this.crypto.keyFor(tenantId, PURPOSE);
    return {
      seal: (target) => SEALED + key.seal(Buffer.from(target, 'utf8')).toString('base64'),
      open: (stored) => (isSealedTarget(stored) ? key.open(Buffer.from(stored.slice(SEALED.length), 'base64')).toString('utf8') : stored),
    };
  }
}
