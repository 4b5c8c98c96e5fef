import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyHeadSignature } from '../../contracts/ledger-witness';
import { open, SealError } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { SqliteStorage, sqliteLayout } from '../storage/sqlite/sqlite-storage';
import { LedgerSigner } from './ledger-signer';

describe('LedgerSigner', () => {
  const deploymentKey = randomBytes(32);
  let dir: string;
  let storage: SqliteStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-signer-'));
    storage = SqliteStorage.open(sqliteLayout(dir), randomBytes(32));
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signer = () => new LedgerSigner({ storage, deploymentKey, clock: () => new Date('2026-12-01T00:00:00Z') });

  it('makes one key on first use even when replicas race for it, and signs heads the published key verifies', async () => {
    const heads = await Promise.all([signer(), signer(), signer()].map((s) => s.signHead('provider', 3, Buffer.alloc(32, 1))));
    const keys = await storage.ledgerSigningKeys.list();
    expect(keys).toHaveLength(1);
    expect(new Set(heads.map((head) => head.key_id))).toEqual(new Set([keys[0]?.keyId]));
    const published = (await signer().publicKeys()).map((key) => ({ key_id: key.keyId, public_key_pem: key.publicKeyPem, retired_at: key.retiredAt }));
    for (const head of heads) expect(await verifyHeadSignature(head, published)).toBe(true);
    expect(heads[0]?.timestamp).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it('answers the same head for the same tree until the ledger grows or the key rotates', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const s = new LedgerSigner({ storage, deploymentKey, clock: () => new Date(now) });
    const first = await s.signHead('provider', 3, Buffer.alloc(32, 1));
    now += 60_000;
    expect(await s.signHead('provider', 3, Buffer.alloc(32, 1)), 'the same tree, a minute later').toEqual(first);
    const grown = await s.signHead('provider', 4, Buffer.alloc(32, 2));
    expect(grown.timestamp).toBe(now);
    expect((await s.signHead('tenant-x', 3, Buffer.alloc(32, 1))).ledger, 'per ledger').toBe('tenant-x');
    await s.rotate();
    const rotated = await s.signHead('provider', 4, Buffer.alloc(32, 2));
    expect(rotated.key_id).not.toBe(grown.key_id);
  });

  it('keeps the private key sealed: it opens only with the deployment key and for its own key id', async () => {
    const first = await signer().rotate();
    const second = await signer().rotate();
    const [old, active] = await storage.ledgerSigningKeys.list().then((keys) => [keys.find((key) => key.keyId === first), keys.find((key) => key.keyId === second)]);
    expect(old?.retiredAt).not.toBeNull();
    expect(active?.retiredAt).toBeNull();
    if (old === undefined) throw new Error('no retired key');
    expect(open(deploymentKey, old.sealedPrivateKey, sealPurpose.ledgerSigningKey(old.keyId))).toHaveLength(48);
    expect(() => open(randomBytes(32), old.sealedPrivateKey, sealPurpose.ledgerSigningKey(old.keyId))).toThrow(SealError);
    expect(() => open(deploymentKey, old.sealedPrivateKey, sealPurpose.ledgerSigningKey(second))).toThrow(SealError);
    // A signer with another deployment key cannot sign with the stored key.
    await expect(new LedgerSigner({ storage, deploymentKey: randomBytes(32), clock: () => new Date() }).signHead('provider', 1, Buffer.alloc(32))).rejects.toThrow(SealError);
  });
});
