import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE } from '../../../test/helpers/postgres-roles';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import type { LedgerVerification } from '../types';
import { PostgresStorage } from './postgres-storage';

/**
 * A large PostgreSQL ledger verified on a thread (postgres-ledger-verify.ts): entries read in pages
 * in one snapshot, so appends meanwhile are not seen; faults named as the in-line verify names them,
 * including a leaf hash cut to 31 bytes and a forged stored tree node.
 */
const SIZE = 9_000;
const reasonOf = (verification: LedgerVerification): string => (verification.ok ? 'ok' : verification.reason);

describe('PostgreSQL ledger verify, off the event loop', () => {
  let db: TestDatabase;
  let storage: PostgresStorage;
  let superuser: pg.Pool;
  const tenantLedger = randomUUID();

  async function append(ledgerId: string, count: number): Promise<void> {
    for (let done = 0; done < count; done += 3_000) {
      await storage.transaction(async (tx) => {
        for (let i = done; i < Math.min(count, done + 3_000); i++) {
          await tx.appendLedger(ledgerId, { actor: 'operator:admin', eventType: 'AUDIT_NOTE', tenantId: ledgerId === 'provider' ? (i % 2 === 0 ? null : tenantLedger) : ledgerId, details: { n: i, note: 'ü' } }, '2026-12-06T03:00:00.000Z');
        }
      });
    }
  }

  /** Runs `fn` with the verify's progress messages collected: proof that the thread did the work. */
  async function withProgress<T>(fn: () => Promise<T>): Promise<{ result: T; progress: number }> {
    let progress = 0;
    const listener = () => {
      progress++;
    };
    subscribe('bulkhead:ledger-verify', listener);
    try {
      return { result: await fn(), progress };
    } finally {
      unsubscribe('bulkhead:ledger-verify', listener);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_ledger_verify');
    superuser = new pg.Pool({ connectionString: db.superuserUrl, max: 2 });
    storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 4 });
    await append('provider', SIZE);
    await append(tenantLedger, 5_000);
  });

  afterAll(async () => {
    await storage.close();
    await superuser.end();
    await db.drop();
  });

  it('verifies the provider ledger and a tenant ledger on a thread, in pages, with the root of the signed head', async () => {
    const provider = await withProgress(() => storage.ledgers.verify('provider'));
    expect(provider.result).toMatchObject({ ok: true, size: SIZE });
    expect(provider.result.root).toEqual((await storage.ledgers.head('provider')).root);
    expect(provider.progress).toBeGreaterThanOrEqual(Math.ceil(SIZE / 4_096));
    const tenant = await withProgress(() => storage.ledgers.verify(tenantLedger));
    expect(tenant.result).toMatchObject({ ok: true, size: 5_000 });
    expect(tenant.progress).toBeGreaterThan(0);
  });

  it('reads one snapshot: appends while it verifies are not seen, and never look like removed entries', async () => {
    const before = (await storage.ledgers.head('provider')).size;
    const state: { verified: LedgerVerification | null } = { verified: null };
    const verification = storage.ledgers.verify('provider').then((result) => {
      state.verified = result;
    });
    let appended = 0;
    // Appends commit while the thread reads its pages.
    do {
      await append('provider', 50);
      appended += 50;
    } while (state.verified === null);
    await verification;
    const verified = state.verified as LedgerVerification | null;
    expect(appended).toBeGreaterThan(0);
    expect(verified).toMatchObject({ ok: true });
    const size = verified?.size ?? 0;
    expect(size).toBeGreaterThanOrEqual(before);
    expect(size).toBeLessThanOrEqual(before + appended);
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: true, size: before + appended });
  });

  it('names an edited entry, a leaf hash cut to 31 bytes (its last byte moved into the MAC), and a forged stored node', async () => {
    const client = await superuser.connect();
    try {
      await client.query('BEGIN');
      await client.query("UPDATE bh.tenant_ledger SET mac = substring(leaf_hash from 32 for 1) || mac, leaf_hash = substring(leaf_hash from 1 for 31) WHERE tenant_id = $1 AND seq = 4500", [tenantLedger]);
      await client.query('COMMIT');
      expect(await storage.ledgers.verify(tenantLedger)).toMatchObject({ ok: false, firstBadSeq: 4_500, reason: 'entry 4500 does not match its leaf hash (its content was changed)' });

      const original = (await client.query<{ hash: Buffer }>('SELECT hash FROM bh.provider_ledger_nodes WHERE level = 6 AND idx = 100')).rows[0]?.hash;
      await client.query('UPDATE bh.provider_ledger_nodes SET hash = $1 WHERE level = 6 AND idx = 100', [randomBytes(32)]);
      const forged = await storage.ledgers.verify('provider');
      expect(forged).toMatchObject({ ok: false, firstBadSeq: null });
      expect(reasonOf(forged)).toBe('the stored tree node at level 6, index 100 (entries 6401 to 6464) differs from the tree recomputed from the entries (proofs from it would be wrong)');
      await client.query('UPDATE bh.provider_ledger_nodes SET hash = $1 WHERE level = 6 AND idx = 100', [original]);

      await client.query(`UPDATE bh.provider_ledger SET details = replace(details, '"n":7000', '"n":7001') WHERE seq = 7001`);
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 7_001, size: 7_000, reason: 'entry 7001 does not match its leaf hash (its content was changed)' });
      await client.query('DELETE FROM bh.provider_ledger WHERE seq = 7001');
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 7_001, reason: 'entry 7001 is missing (next stored entry is 7002)' });
    } finally {
      client.release();
    }
  });
});
