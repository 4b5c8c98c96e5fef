import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { SignedTreeHeadView } from '../../contracts/audit';
import { treeHeadMessage } from '../../contracts/ledger-witness';
import { open, seal } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import type { LedgerSigningKeyRecord, Storage } from '../storage/types';

/** A public ledger key as the well-known route lists it. */
export interface LedgerPublicKey {
  keyId: string;
  publicKeyPem: string;
  retiredAt: string | null;
}

/** SHA-256 of the key's SPKI DER, hex: the same id contracts/ledger-witness.ts recomputes from the PEM. */
export function ledgerKeyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/**
 * Signs the ledgers' tree heads with Ed25519 (RFC 8032). The key pair is made on first use and its
 * private key stored sealed under the deployment key (so a copy of the database alone cannot sign);
 * rotating retires the active key but keeps its public key listed, so heads it signed still verify.
 * The active key is read on every signature (one small query) so a rotation by the CLI takes effect
 * on running replicas at once; opened private keys are cached by id.
 */
export class LedgerSigner {
  readonly #opened = new Map<string, KeyObject>();
  /** The last head signed per ledger (one per tenant at most). */
  readonly #lastHeads = new Map<string, SignedTreeHeadView>();

  constructor(private readonly deps: { storage: Storage; deploymentKey: Buffer; clock: () => Date }) {}

  /** Every key, oldest first (making the first one if none was); heads name theirs by id. */
  async publicKeys(): Promise<LedgerPublicKey[]> {
    await this.activeKey();
    return (await this.deps.storage.ledgerSigningKeys.list()).map(({ keyId, publicKeyPem, retiredAt }) => ({ keyId, publicKeyPem, retiredAt }));
  }

  /**
   * A signed head of `ledger` at `size` entries with root `root`, timestamped when this replica first
   * signed that tree. Asked again for the same tree with the same key, it answers the same head: a
   * head changes only when the ledger does (no signature per request, and no answer that differs by
   * the moment it was asked, which would tell callers apart by nothing but timing).
   */
  async signHead(ledger: string, size: number, root: Buffer): Promise<SignedTreeHeadView> {
    const { keyId, privateKey } = await this.activeKey();
    const rootHash = root.toString('hex');
    const last = this.#lastHeads.get(ledger);
    if (last !== undefined && last.tree_size === size && last.root_hash === rootHash && last.key_id === keyId) return last;
    const head = { ledger, tree_size: size, root_hash: rootHash, timestamp: this.deps.clock().getTime() };
    const signed = { ...head, key_id: keyId, signature: sign(null, Buffer.from(treeHeadMessage(head), 'utf8'), privateKey).toString('base64') };
    this.#lastHeads.set(ledger, signed);
    return signed;
  }

  /** Retires the active key and makes a new one active; answers the new key's id. */
  async rotate(): Promise<string> {
    const key = this.newKey();
    await this.deps.storage.ledgerSigningKeys.rotate(key);
    return key.keyId;
  }

  private async activeKey(): Promise<{ keyId: string; privateKey: KeyObject }> {
    let active = (await this.deps.storage.ledgerSigningKeys.list()).find((key) => key.retiredAt === null);
    if (active === undefined) {
      // Replicas may race here: one insert wins (a unique index allows one active key), all read it back.
      await this.deps.storage.ledgerSigningKeys.addFirst(this.newKey());
      active = (await this.deps.storage.ledgerSigningKeys.list()).find((key) => key.retiredAt === null);
      if (active === undefined) throw new Error('no active ledger signing key after creating one');
    }
    let privateKey = this.#opened.get(active.keyId);
    if (privateKey === undefined) {
      const der = open(this.deps.deploymentKey, active.sealedPrivateKey, sealPurpose.ledgerSigningKey(active.keyId));
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      this.#opened.set(active.keyId, privateKey);
    }
    return { keyId: active.keyId, privateKey };
  }

  private newKey(): LedgerSigningKeyRecord {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keyId = ledgerKeyIdOf(publicKey);
    return {
      keyId,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      sealedPrivateKey: seal(this.deps.deploymentKey, privateKey.export({ type: 'pkcs8', format: 'der' }), sealPurpose.ledgerSigningKey(keyId)),
      createdAt: this.deps.clock().toISOString(),
      retiredAt: null,
    };
  }
}
