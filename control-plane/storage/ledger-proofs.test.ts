import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, rootFromLeafHashes } from '../audit/merkle';
import { checkConsistency, checkInclusion, referenceRoot } from '../../test/helpers/rfc6962-verifier';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import type { Storage } from './types';

/**
 * Proofs from stored interior nodes (storage/ledger.ts), on the engine under test (SQLite here,
 * PostgreSQL in the postgres project): byte-identical to merkle.ts's leaf-based computation and
 * accepted by the independent verifier, for random sizes; and a ledger written before nodes were
 * stored gets them on start-up (SQLite) or migration (PostgreSQL).
 */
describe('ledger proofs from stored nodes', () => {
  let t: TestApp;
  let storage: Storage;
  const tenantLedger = randomUUID();
  const open = () => t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));

  beforeEach(async () => {
    t = await buildTestApp();
    storage = await open();
  });

  afterEach(async () => {
    await storage.close();
    await t.close();
  });

  /** Appends in transactions of random sizes, so node writes cross transaction boundaries. */
  async function grow(ledgerId: string, to: number): Promise<void> {
    let size = (await storage.ledgers.head(ledgerId)).size;
    while (size < to) {
      const batch = Math.min(to - size, 1 + Math.floor(Math.random() * 700));
      await storage.transaction(async (tx) => {
        for (let i = 0; i < batch; i++) {
          size++;
          await tx.appendLedger(ledgerId, { actor: 'operator:admin', eventType: 'AUDIT_NOTE', tenantId: ledgerId === 'provider' ? null : ledgerId, details: { n: size } }, '2026-12-06T03:00:00.000Z');
        }
      });
    }
  }

  /** Every proof the storage answers for a few random sizes equals merkle.ts's and verifies independently. */
  async function expectProofsMatch(ledgerId: string, rounds: number): Promise<void> {
    const head = await storage.ledgers.head(ledgerId);
    const leaves = await storage.ledgers.leafHashes(ledgerId, head.size);
    expect(rootFromLeafHashes(leaves)).toEqual(head.root);
    for (let round = 0; round < rounds; round++) {
      const size = round === 0 ? head.size : 1 + Math.floor(Math.random() * head.size);
      const old = Math.floor(Math.random() * (size + 1));
      const index = Math.floor(Math.random() * size);
      const consistency = await storage.ledgers.consistencyProof(ledgerId, old, size);
      expect(consistency).toEqual(consistencyProof(leaves, old, size));
      expect(checkConsistency(old, size, referenceRoot(leaves.slice(0, old)), referenceRoot(leaves.slice(0, size)), consistency ?? [])).toBe(true);
      const inclusion = await storage.ledgers.inclusionProof(ledgerId, index, size);
      expect(inclusion?.auditPath).toEqual(inclusionProof(leaves, index, size));
      expect(inclusion?.root).toEqual(referenceRoot(leaves.slice(0, size)));
      expect(checkInclusion(leaves[index] as Buffer, index, size, inclusion?.auditPath ?? [], inclusion?.root ?? Buffer.alloc(0))).toBe(true);
    }
  }

  it('answers byte-identical proofs for random sizes, on the provider ledger and a tenant ledger', async () => {
    await grow('provider', 1_300 + Math.floor(Math.random() * 1_500));
    await grow(tenantLedger, 600 + Math.floor(Math.random() * 600));
    await expectProofsMatch('provider', 15);
    await expectProofsMatch(tenantLedger, 10);
  });

  it('a ledger written before nodes were stored gets them, and the same proofs', async () => {
    await grow('provider', 1_100);
    await grow(tenantLedger, 700);
    const before = await storage.ledgers.consistencyProof('provider', 300, 1_100);
    await storage.close();
    await t.engine.forgetLedgerNodes();
    storage = await open();
    // Without its nodes a proof that needs them is refused (null: the service answers 409), never wrong.
    if ((await storage.ledgers.consistencyProof('provider', 300, 1_100)) !== null) {
      // SQLite builds them as the store opens: nothing was missing by now.
      expect(await storage.ledgers.consistencyProof('provider', 300, 1_100)).toEqual(before);
    }
    await storage.close();
    await t.engine.buildLedgerNodes();
    storage = await open();
    expect(await storage.ledgers.consistencyProof('provider', 300, 1_100)).toEqual(before);
    await expectProofsMatch('provider', 10);
    await expectProofsMatch(tenantLedger, 5);
    // The ledger goes on growing from there with its nodes.
    await grow('provider', 1_700);
    await expectProofsMatch('provider', 5);
  });

  it('a proof the stored rows cannot answer is null, never a wrong proof', async () => {
    await grow('provider', 600);
    await t.engine.eraseLedger('provider');
    expect(await storage.ledgers.consistencyProof('provider', 10, 600)).toBeNull();
    expect(await storage.ledgers.inclusionProof('provider', 3, 600)).toBeNull();
  });
});
