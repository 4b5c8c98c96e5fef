import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEntryBytes } from '../../audit/ledger-codec';
import { leafHash, verifyInclusion, inclusionProof } from '../../audit/merkle';
import type { LedgerVerification } from '../types';
import { Mutex } from './connection';
import { sqliteLedgerReader } from './sqlite-ledger';
import { SqliteStorage, sqliteLayout } from './sqlite-storage';

const ledgerKey = randomBytes(32);
const reasonOf = (verification: LedgerVerification): string => (verification.ok ? 'ok' : verification.reason);

describe('SQLite ledgers (RFC 6962, tamper-evident)', () => {
  let dir: string;
  let storage: SqliteStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-ledger-'));
    storage = SqliteStorage.open(sqliteLayout(dir), ledgerKey);
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function appendMany(count: number, ledgerId = 'provider'): Promise<void> {
    await storage.transaction(async (tx) => {
      for (let i = 1; i <= count; i++) {
        await tx.appendLedger(ledgerId, { actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { marker: `entry-${String(i).padStart(4, '0')}`, n: i } }, `2026-11-22T10:00:${String(i % 60).padStart(2, '0')}.000Z`);
      }
    });
  }

  const reopen = async () => {
    await storage.close();
    storage = SqliteStorage.open(sqliteLayout(dir), ledgerKey);
  };

  it('a batch in one transaction (frontier kept in memory) stores the same ledger as one append per transaction, interleaved ledgers too', async () => {
    const entry = (i: number) => ({ actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { n: i } });
    await storage.transaction(async (tx) => {
      for (let i = 1; i <= 37; i++) {
        await tx.appendLedger('batched', entry(i), '2026-11-22T10:00:00.000Z');
        if (i % 3 === 0) await tx.appendLedger('other', entry(i), '2026-11-22T10:00:00.000Z');
      }
    });
    for (let i = 1; i <= 37; i++) {
      await storage.transaction(async (tx) => {
        await tx.appendLedger('single', entry(i), '2026-11-22T10:00:00.000Z');
      });
    }
    // The leaves bind the ledger id, so the roots differ; the shapes, sizes and verification agree.
    const [batched, single, other] = await Promise.all(['batched', 'single', 'other'].map((id) => storage.ledgers.verify(id)));
    expect(batched).toMatchObject({ ok: true, size: 37 });
    expect(single).toMatchObject({ ok: true, size: 37 });
    expect(other).toMatchObject({ ok: true, size: 12 });
    // A later transaction continues from the stored head.
    await appendMany(5, 'batched');
    expect(await storage.ledgers.verify('batched')).toMatchObject({ ok: true, size: 42 });
  });

  it('appends with consecutive seq from 1, and verify recomputes the root of the signed head', async () => {
    await appendMany(10);
    const verification = await storage.ledgers.verify('provider');
    expect(verification).toMatchObject({ ok: true, size: 10 });
    expect(verification.root?.equals((await storage.ledgers.head('provider')).root)).toBe(true);
    const entries = await storage.ledgers.entries('provider', { limit: 100 });
    expect(entries.map((entry) => entry.seq)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('keeps ledgers apart: each tenant ledger has its own sequence and root', async () => {
    await appendMany(3, 'provider');
    await appendMany(2, 'tenant-a');
    expect((await storage.ledgers.head('provider')).size).toBe(3);
    expect((await storage.ledgers.head('tenant-a')).size).toBe(2);
    expect(await storage.ledgers.verify('tenant-a')).toMatchObject({ ok: true, size: 2 });
  });

  it('gives inclusion proofs that verify against the head, for every entry', async () => {
    await appendMany(13);
    const head = await storage.ledgers.head('provider');
    const leaves = await storage.ledgers.leafHashes('provider', head.size);
    for (let seq = 1; seq <= head.size; seq++) {
      const entry = await storage.ledgers.entry('provider', seq);
      if (entry === null) throw new Error('missing');
      const leaf = leafHash(canonicalEntryBytes({ ledgerId: 'provider', seq, ts: entry.ts, actor: entry.actor, eventType: entry.eventType, tenantId: entry.tenantId, detailsJson: JSON.stringify(entry.details) }));
      expect(leaf.equals(entry.leafHash)).toBe(true);
      expect(verifyInclusion(leaf, seq - 1, head.size, inclusionProof(leaves, seq - 1), head.root)).toBe(true);
    }
  });

  it('rolls back with the transaction: an entry whose change failed is not in the ledger', async () => {
    await appendMany(2);
    await expect(
      storage.transaction(async (tx) => {
        await tx.appendLedger('provider', { actor: 'x', eventType: 'TENANT_CREATED', tenantId: null, details: {} }, '2026-11-22T10:00:00.000Z');
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: true, size: 2 });
  });

  it('names the first bad entry when any byte of a row is edited in the database file', async () => {
    await appendMany(40);
    await storage.close();
    const file = join(dir, 'control-plane.db');
    const bytes = readFileSync(file);
    const at = bytes.indexOf('entry-0017');
    expect(at).toBeGreaterThan(0);
    bytes[at + 9] = '8'.charCodeAt(0); // entry-0017 → entry-0018
    writeFileSync(file, bytes);
    storage = SqliteStorage.open(sqliteLayout(dir), ledgerKey);
    const verification = await storage.ledgers.verify('provider');
    expect(verification.ok).toBe(false);
    expect(verification).toMatchObject({ firstBadSeq: 17 });
  });

  it('names the entry when its content and leaf hash are both rewritten (no key, no valid MAC)', async () => {
    await appendMany(5);
    await reopen();
    const db = new Database(join(dir, 'control-plane.db'));
    const forged = '{"marker":"forged","n":3}';
    const row = db.prepare("SELECT ts, actor, event_type, tenant_id FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 3").get() as { ts: string; actor: string; event_type: string; tenant_id: string | null };
    const leaf = leafHash(canonicalEntryBytes({ ledgerId: 'provider', seq: 3, ts: row.ts, actor: row.actor, eventType: row.event_type, tenantId: row.tenant_id, detailsJson: forged }));
    db.prepare("UPDATE ledger_entries SET details = ?, leaf_hash = ? WHERE ledger_id = 'provider' AND seq = 3").run(forged, leaf);
    db.close();
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it('detects a removed entry, a truncated tail and an edited tree head', async () => {
    await appendMany(6);
    const db = new Database(join(dir, 'control-plane.db'));
    db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 4").run();
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 4 });
    db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq >= 4").run();
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 4 });
    db.prepare("UPDATE ledger_heads SET size = 3 WHERE ledger_id = 'provider'").run();
    const head = await storage.ledgers.verify('provider');
    expect(head.ok).toBe(false);
    expect(head.ok ? '' : head.reason).toContain('tree head');
    db.close();
  });

  it.each([
    {
      // The stored nodes are the subtree roots proofs are served from.
      what: 'a forged stored node',
      plant: "UPDATE ledger_nodes SET hash = ? WHERE ledger_id = 'provider' AND level = 4 AND idx = 1",
      reason: 'the stored tree node at level 4, index 1 (entries 17 to 32) differs from the tree recomputed from the entries (proofs from it would be wrong)',
      appendFails: null,
    },
    {
      what: 'a node beyond the ledger',
      plant: "INSERT INTO ledger_nodes (ledger_id, level, idx, hash) VALUES ('provider', 4, 2, ?)",
      reason: "the stored tree node at level 4, index 2 (entries 33 to 48) lies beyond the ledger's 40 entries (the append that completes it would fail)",
      // Why it is a fault: the append that completes entries 33 to 48 fails on the planted row.
      appendFails: /UNIQUE|PRIMARY/i,
    },
    {
      // Past the levels the ledger has (4 and 5): found by a lookup per level stored.
      what: 'a high node beyond the ledger',
      plant: "INSERT INTO ledger_nodes (ledger_id, level, idx, hash) VALUES ('provider', 20, 0, ?)",
      reason: "the stored tree node at level 20, index 0 (entries 1 to 1048576) lies beyond the ledger's 40 entries (the append that completes it would fail)",
      appendFails: null,
    },
  ])('names $what, in-line', async ({ plant, reason, appendFails }) => {
    await appendMany(40);
    const db = new Database(join(dir, 'control-plane.db'));
    try {
      db.prepare(plant).run(randomBytes(32));
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: null, reason });
      if (appendFails !== null) await expect(appendMany(8)).rejects.toThrow(appendFails);
    } finally {
      db.close();
    }
  });

  it('in-line, reads the entries, head and nodes in one snapshot: an append committed in between by another connection is not seen', async () => {
    await appendMany(40);
    // The reader on a connection of its own; the storage appends on another, as another process would.
    const db = new Database(join(dir, 'control-plane.db'));
    try {
      const seen = await sqliteLedgerReader(db, new Mutex()).scan('provider', async (entries, head, nodes) => {
        let count = 0;
        for await (const entry of entries) count = entry.seq;
        await appendMany(16);
        // Entries 41 to 56 complete level 4, index 2 (entries 33 to 48): beyond the 40 of the head read.
        return { count, size: (await head())?.size, beyond: await nodes.beyond(40) };
      });
      expect(seen).toEqual({ count: 40, size: 40, beyond: null });
    } finally {
      db.close();
    }
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: true, size: 56 });
  });

  it('refuses a ledger opened with another deployment key (every MAC differs)', async () => {
    await appendMany(3);
    await storage.close();
    storage = SqliteStorage.open(sqliteLayout(dir), randomBytes(32));
    expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  describe('a large ledger, verified on threads', () => {
    // More than two aligned ranges of 32,768 entries: the threaded path, with a partial last range.
    const SIZE = 70_000;

    async function appendLarge(): Promise<void> {
      for (let done = 0; done < SIZE; done += 10_000) {
        await storage.transaction(async (tx) => {
          for (let i = done + 1; i <= Math.min(SIZE, done + 10_000); i++) {
            await tx.appendLedger('provider', { actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { marker: `big-${String(i).padStart(6, '0')}` } }, '2026-12-06T03:00:00.000Z');
          }
        });
      }
    }

    it('verifies, and names the first bad entry in any range: an edited byte, a removed entry, a truncated tail, another key', async () => {
      await appendLarge();
      const good = await storage.ledgers.verify('provider');
      expect(good).toMatchObject({ ok: true, size: SIZE });
      expect(good.root?.equals((await storage.ledgers.head('provider')).root)).toBe(true);

      // An edited byte in the second range.
      await storage.close();
      const file = join(dir, 'control-plane.db');
      const bytes = readFileSync(file);
      const at = bytes.indexOf('big-040017');
      expect(at).toBeGreaterThan(0);
      bytes[at + 9] = '8'.charCodeAt(0);
      writeFileSync(file, bytes);
      storage = SqliteStorage.open(sqliteLayout(dir), ledgerKey);
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 40_017, size: 40_016 });

      const db = new Database(file);
      try {
        // A removed entry at the start of the third range comes before nothing: the edit is still first.
        db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 65537").run();
        expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 40_017 });
        db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 40017").run();
        expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 40_017, reason: 'entry 40017 is missing (next stored entry is 40018)' });
        // The last entry of the first range removed: named by the range that follows it.
        db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 32768").run();
        expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 32_768, size: 32_767 });
        // Everything from 30,000 on gone: the head names what is missing.
        db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq >= 30000").run();
        const truncated = await storage.ledgers.verify('provider');
        expect(truncated).toMatchObject({ ok: false, firstBadSeq: 30_000, size: 29_999 });
        expect(truncated.ok ? '' : truncated.reason).toContain('entries removed');
      } finally {
        db.close();
      }
      await storage.close();
      storage = SqliteStorage.open(sqliteLayout(dir), randomBytes(32));
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 1 });
    });

    it('checks the leaf hash and the MAC apart: a 31-byte leaf hash whose last byte moved into the MAC is named', async () => {
      await appendLarge();
      const db = new Database(join(dir, 'control-plane.db'));
      try {
        // leaf_hash ‖ mac keeps its 64 bytes: read as one blob and split at 32, this passed.
        db.prepare("UPDATE ledger_entries SET mac = CAST(substr(leaf_hash, 32, 1) || mac AS BLOB), leaf_hash = substr(leaf_hash, 1, 31) WHERE ledger_id = 'provider' AND seq = 50001").run();
        expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 50_001, reason: 'entry 50001 does not match its leaf hash (its content was changed)' });
      } finally {
        db.close();
      }
    });

    it('names a forged stored tree node inside a range and one over several ranges', async () => {
      await appendLarge();
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: true, size: SIZE });
      const db = new Database(join(dir, 'control-plane.db'));
      const forge = db.prepare("UPDATE ledger_nodes SET hash = ? WHERE ledger_id = 'provider' AND level = ? AND idx = ?");
      try {
        // A node planted beyond the ledger's size (level 4, index 4375: entries 70001 to 70016).
        db.prepare("INSERT INTO ledger_nodes (ledger_id, level, idx, hash) VALUES ('provider', 4, 4375, ?)").run(randomBytes(32));
        expect(reasonOf(await storage.ledgers.verify('provider'))).toBe("the stored tree node at level 4, index 4375 (entries 70001 to 70016) lies beyond the ledger's 70000 entries (the append that completes it would fail)");
        db.prepare("DELETE FROM ledger_nodes WHERE ledger_id = 'provider' AND level = 4 AND idx = 4375").run();
        // Level 16, index 0: over two 32,768-entry ranges (on four cores) or the first range of 65,536 (on two).
        const original = db.prepare("SELECT hash FROM ledger_nodes WHERE ledger_id = 'provider' AND level = 16 AND idx = 0").pluck().get() as Buffer;
        forge.run(randomBytes(32), 16, 0);
        const acrossRanges = await storage.ledgers.verify('provider');
        expect(acrossRanges).toMatchObject({ ok: false, firstBadSeq: null });
        expect(reasonOf(acrossRanges)).toContain('level 16, index 0 (entries 1 to 65536) differs');
        forge.run(original, 16, 0);
        // A node in the last (partial) range.
        forge.run(randomBytes(32), 5, 2100);
        expect(reasonOf(await storage.ledgers.verify('provider'))).toContain('level 5, index 2100 (entries 67201 to 67232) differs');
        db.prepare("DELETE FROM ledger_nodes WHERE ledger_id = 'provider' AND level = 5 AND idx = 2100").run();
        expect(reasonOf(await storage.ledgers.verify('provider'))).toContain('level 5, index 2100 (entries 67201 to 67232) is missing');
        // An entry fault comes before any node fault.
        db.prepare("DELETE FROM ledger_entries WHERE ledger_id = 'provider' AND seq = 69000").run();
        expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: false, firstBadSeq: 69_000 });
      } finally {
        db.close();
      }
    });

    it('a large ledger written before nodes were stored gets them when the store opens, and the same proofs', async () => {
      await appendLarge();
      const before = [await storage.ledgers.consistencyProof('provider', 40_001, SIZE), await storage.ledgers.inclusionProof('provider', 12_345, 65_000)];
      await storage.close();
      const db = new Database(join(dir, 'control-plane.db'));
      db.prepare('DELETE FROM ledger_nodes').run();
      db.close();
      storage = SqliteStorage.open(sqliteLayout(dir), ledgerKey);
      expect([await storage.ledgers.consistencyProof('provider', 40_001, SIZE), await storage.ledgers.inclusionProof('provider', 12_345, 65_000)]).toEqual(before);
      expect(before[0]).not.toBeNull();
    });

    it('does not see appends committed while it verifies: a node they complete is not one beyond the ledger', async () => {
      await appendLarge();
      // The head, last seq and any node beyond are read when verify starts; the threads take longer.
      const verification = storage.ledgers.verify('provider');
      await storage.transaction(async (tx) => {
        // 16 entries complete level 4, index 4375 (entries 70001 to 70016).
        for (let i = 1; i <= 16; i++) await tx.appendLedger('provider', { actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { marker: `late-${i}` } }, '2026-12-06T03:00:00.000Z');
      });
      expect(await verification).toMatchObject({ ok: true, size: SIZE });
      expect(await storage.ledgers.verify('provider')).toMatchObject({ ok: true, size: SIZE + 16 });
    });

    it('keeps the event loop answering while it verifies', async () => {
      await appendLarge();
      const finished = new Set<string>();
      const verification = storage.ledgers.verify('provider').then((result) => {
        finished.add('verify');
        return result;
      });
      // Timers and reads run while the threads hash: in-line, none would until verify returned.
      let ticks = 0;
      while (!finished.has('verify') && ticks < 1_000) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (!finished.has('verify')) {
          ticks++;
          expect((await storage.ledgers.head('provider')).size).toBe(SIZE);
        }
      }
      expect(ticks).toBeGreaterThan(5);
      expect(await verification).toMatchObject({ ok: true, size: SIZE });
    });
  });
});
