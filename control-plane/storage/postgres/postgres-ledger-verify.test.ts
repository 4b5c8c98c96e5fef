import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE } from '../../../test/helpers/postgres-roles';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import { HEAD_COLUMNS } from '../rows/ledger-rows';
import type { LedgerVerification } from '../types';
import { verifyPostgresOffThread } from './postgres-ledger-verify';
import { verifyRange } from './postgres-ledger-verify-worker';
import { PostgresStorage } from './postgres-storage';

/**
 * A large PostgreSQL ledger verified on a thread (postgres-ledger-verify.ts): entries read in pages
 * in one snapshot, so appends meanwhile are not seen; faults named as the in-line verify names them,
 * including a leaf hash cut to 31 bytes and a forged stored tree node.
 */
/** Over two aligned ranges of 32,768 entries: two threads, one snapshot. */
const SIZE = 40_000;
const reasonOf = (verification: LedgerVerification): string => (verification.ok ? 'ok' : verification.reason);

describe('PostgreSQL ledger verify, off the event loop', () => {
  let db: TestDatabase;
  let storage: PostgresStorage;
  let superuser: pg.Client;
  const tenantLedger = randomUUID();

  async function append(ledgerId: string, count: number): Promise<void> {
    for (let done = 0; done < count; done += 10_000) {
      await storage.transaction(async (tx) => {
        for (let i = done; i < Math.min(count, done + 10_000); i++) {
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
    superuser = new pg.Client({ connectionString: db.superuserUrl });
    await superuser.connect();
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

  it('rejects at once when a verify thread fails (its first statement, on a nodes table that does not exist), and releases the snapshot', async () => {
    const tables = { tenant: null, entries: 'bh.provider_ledger', nodes: 'bh.no_such_nodes', head: `SELECT ${HEAD_COLUMNS} FROM bh.provider_ledger_head`, own: null };
    const started = performance.now();
    // The coordinator reads the head and the last seq; only the threads read nodes before the join.
    await expect(verifyPostgresOffThread(db.url(APP_ROLE), randomBytes(32), 'provider', tables, (head) => head)).rejects.toThrow(/^the ledger verify thread for entries \d+ to \d+ failed: relation "bh\.no_such_nodes" does not exist$/);
    expect(performance.now() - started).toBeLessThan(10_000);
    // No session of the verify is left holding its snapshot (the storage's pool is idle, not in a transaction).
    const held = await superuser.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND usename = $1 AND state LIKE 'idle in transaction%'", [APP_ROLE]);
    expect(held.rows[0]?.n).toBe(0);
  });

  it('a thread failing mid-read rejects with its own error, leaving no rejection unhandled (the page it had asked for next)', async () => {
    const coordinator = new pg.Client({ connectionString: db.url(APP_ROLE) });
    await coordinator.connect();
    try {
      await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = String((await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id);
      const job = { tenant: null, entries: 'bh.provider_ledger', nodes: 'bh.provider_ledger_nodes', head: `SELECT ${HEAD_COLUMNS} FROM bh.provider_ledger_head`, own: null };
      const range = { ...job, connectionString: db.url(APP_ROLE), key: new Uint8Array(randomBytes(32)), ledgerId: 'provider', snapshot, start: 0, end: SIZE, last: SIZE };
      // Thrown after the first page, while the second is being read: the connection then ends under it.
      await expect(
        verifyRange(range, () => {
          throw new Error('failed after a page');
        }),
      ).rejects.toThrow('failed after a page');
      // Unhandled, that page's "Connection terminated" ended a thread before its own error (Vitest fails the run on it).
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await coordinator.end();
    }
  });

  it('names a stored tree node beyond the ledger (the append completing it would fail), on a thread and in-line', async () => {
    const plant = (ledgerId: string, idx: number) => superuser.query('INSERT INTO bh.tenant_ledger_nodes (tenant_id, level, idx, hash) VALUES ($1, 4, $2, $3)', [ledgerId, idx, randomBytes(32)]);
    const remove = (ledgerId: string, idx: number) => superuser.query('DELETE FROM bh.tenant_ledger_nodes WHERE tenant_id = $1 AND level = 4 AND idx = $2', [ledgerId, idx]);
    // 5,000 entries: verified on a thread; level 4, index 312 covers entries 4993 to 5008.
    await plant(tenantLedger, 312);
    expect(await storage.ledgers.verify(tenantLedger)).toMatchObject({
      ok: false,
      firstBadSeq: null,
      reason: "the stored tree node at level 4, index 312 (entries 4993 to 5008) lies beyond the ledger's 5000 entries (the append that completes it would fail)",
    });
    await remove(tenantLedger, 312);
    expect(await storage.ledgers.verify(tenantLedger)).toMatchObject({ ok: true, size: 5_000 });
    // 40 entries: verified in-line.
    const small = randomUUID();
    await append(small, 40);
    await plant(small, 2);
    expect(reasonOf(await storage.ledgers.verify(small))).toBe("the stored tree node at level 4, index 2 (entries 33 to 48) lies beyond the ledger's 40 entries (the append that completes it would fail)");
    await expect(append(small, 8)).rejects.toThrow(/duplicate key/);
    await remove(small, 2);
    expect(await storage.ledgers.verify(small)).toMatchObject({ ok: true, size: 40 });
    // At a high level, past the levels the ledger has (4 and 5): found by a lookup per level stored.
    await superuser.query('INSERT INTO bh.tenant_ledger_nodes (tenant_id, level, idx, hash) VALUES ($1, 20, 0, $2)', [small, randomBytes(32)]);
    expect(reasonOf(await storage.ledgers.verify(small))).toBe("the stored tree node at level 20, index 0 (entries 1 to 1048576) lies beyond the ledger's 40 entries (the append that completes it would fail)");
    // The lowest level is named first, as before.
    await plant(small, 2);
    expect(reasonOf(await storage.ledgers.verify(small))).toContain('level 4, index 2 (entries 33 to 48) lies beyond');
  });

  it('in-line (a small ledger), reads the stored nodes in the entries\' snapshot: a node forged after the entries were read is not seen', async () => {
    const small = randomUUID();
    await append(small, 40);
    const lock = new pg.Client({ connectionString: db.superuserUrl });
    await lock.connect();
    try {
      // The node table locked: the verify reads its entries and head, then waits on the nodes.
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE bh.tenant_ledger_nodes IN ACCESS EXCLUSIVE MODE');
      const verification = storage.ledgers.verify(small);
      const waiting = async () => Number((await superuser.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'bh.tenant_ledger_nodes'::regclass")).rows[0]?.n);
      while ((await waiting()) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await lock.query('UPDATE bh.tenant_ledger_nodes SET hash = $1 WHERE tenant_id = $2 AND level = 4 AND idx = 1', [randomBytes(32), small]);
      await lock.query('COMMIT');
      // Read in a later snapshot (READ COMMITTED), the forged node would be named against older entries.
      expect(await verification).toMatchObject({ ok: true, size: 40 });
    } finally {
      await lock.end();
    }
    expect(reasonOf(await storage.ledgers.verify(small))).toContain('level 4, index 1 (entries 17 to 32) differs');
  });

  it('names an edited entry, a leaf hash cut to 31 bytes (its last byte moved into the MAC), and a forged stored node', async () => {
    await superuser.query("UPDATE bh.tenant_ledger SET mac = substring(leaf_hash from 32 for 1) || mac, leaf_hash = substring(leaf_hash from 1 for 31) WHERE tenant_id = $1 AND seq = 4500", [tenantLedger]);
    expect(await storage.ledgers.verify(tenantLedger)).toMatchObject({ ok: false, firstBadSeq: 4_500, reason: 'entry 4500 does not match its leaf hash (its content was changed)' });

    const original = (await superuser.query<{ hash: Buffer }>('SELECT hash FROM bh.provider_ledger_nodes WHERE level = 6 AND idx = 100')).rows[0]?.hash;
    await superuser.query('UPDATE bh.provider_ledger_nodes SET hash = $1 WHERE level = 6 AND idx = 100', [randomBytes(32)]);
    const forged = await storage.ledgers.verify('provider');
    expect(forged).toMatchObject({ ok: false, firstBadSeq: null });
    expect(reasonOf(forged)).toBe('the stored tree node at level 6, index 100 (entries 6401 to 6464) differs from the tree recomputed from the entries (proofs from it would be wrong)');
    await superuser.query('UPDATE bh.provider_ledger_nodes SET hash = $1 WHERE level = 6 AND idx = 100', [original]);

    const edit = (from: string, to: string) => superuser.query(`UPDATE bh.provider_ledger SET details = replace(details, '"n":${from}', '"n":${to}') WHERE seq = 7001`);
    await edit('7000', '7001');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 7_001, size: 7_000, reason: 'entry 7001 does not match its leaf hash (its content was changed)' });
    await edit('7001', '7000');
    // The last entry of the first range gone: named by the range that follows it.
    await superuser.query('DELETE FROM bh.provider_ledger WHERE seq = 32768');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 32_768, reason: 'entry 32768 is missing (next stored entry is 32769)' });
    // A fault in the first range comes first.
    await edit('7000', '7001');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 7_001 });
    await superuser.query('DELETE FROM bh.provider_ledger WHERE seq = 7001');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 7_001, reason: 'entry 7001 is missing (next stored entry is 7002)' });
    await superuser.query('DELETE FROM bh.provider_ledger WHERE seq < 32768');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 1, reason: 'entry 1 is missing (next stored entry is 32769)' });
  });
});
