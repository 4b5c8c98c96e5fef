import { TenantKeyDestroyedError, type TenantCrypto } from '../tenancy/tenant-keys';

/**
 * What a ledger entry says of people (user names, emails, external ids) is sealed with the tenant's
 * own data key and kept in the entry's details as `personal_sealed`. The leaf hashes those sealed
 * bytes, so the ledger verifies without them being readable; deleting the tenant destroys its key,
 * and with it every name its ledger held (crypto-shred), while both ledgers still verify.
 */
export const PERSONAL_FIELD = 'personal_sealed';
const PURPOSE = 'ledger-personal';

export type PersonalSealer = (personal: Record<string, unknown>) => { [PERSONAL_FIELD]: string };

/** A sealer for one tenant, to call synchronously inside a transaction (the key is read before it). */
export async function personalSealer(crypto: TenantCrypto, tenantId: string): Promise<PersonalSealer> {
  const key = await crypto.keyFor(tenantId, PURPOSE);
  return (personal) => ({ [PERSONAL_FIELD]: key.seal(Buffer.from(JSON.stringify(personal), 'utf8')).toString('base64') });
}

/** An opener for one tenant's entries: null when the tenant's key is destroyed (every name is gone with it). */
export async function personalOpener(crypto: TenantCrypto, tenantId: string): Promise<((details: Record<string, unknown>) => Record<string, unknown> | null) | null> {
  try {
    const key = await crypto.keyFor(tenantId, PURPOSE);
    return (details) => {
      const sealed = details[PERSONAL_FIELD];
      if (typeof sealed !== 'string') return null;
      try {
        return JSON.parse(key.open(Buffer.from(sealed, 'base64')).toString('utf8')) as Record<string, unknown>;
      } catch {
        return null;
      }
    };
  } catch (error) {
    if (error instanceof TenantKeyDestroyedError) return null;
    throw error;
  }
}
