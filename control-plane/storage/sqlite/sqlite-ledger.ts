import Database from 'better-sqlite3';
import type { SubtreeRef } from '../../audit/merkle';
import { nodesFromLeaves, storedNodeCount, type LedgerRowReader, type LedgerRowWriter, type StoredNode } from '../ledger';
import { ENTRY_COLUMNS, HEAD_COLUMNS, entryColumns, leafHashFromRow, storedEntryFromRow, storedHeadFromRow } from '../rows/ledger-rows';
import { insertSql, type Mutex } from './connection';
import { nodeBeyond, verifyOffThread } from './ledger-verify-thread';

/**
 * Ledger rows in the control store: the provider ledger and one per tenant, told apart by
 * ledger_id, in ledger_entries and ledger_heads. Entries and tree heads carry an HMAC under a key
 * derived from the deployment key, so a row edited in the file is caught and named, even with its
 * hash redone (see ../ledger.ts and audit/ledger-chain.ts). Single reads need no transaction; a
 * verify's several reads share one (scan).
 */
/** Ledgers of this many entries or more are verified on threads (below, in-line takes under ~50 ms). */
const OFF_THREAD_FROM = 4_096;

const insertEntry = insertSql('ledger_entries', ['ledger_id', 'tenant_id', ...ENTRY_COLUMNS]);

/** `mutex` is the one the storage's write transactions on `db` run under. */
export function sqliteLedgerReader(db: Database.Database, mutex: Mutex): LedgerRowReader {
  // A proof is a few dozen of these reads: prepared once, not per read.
  const proofReads = {
    leafRange: db.prepare('SELECT leaf_hash FROM ledger_entries WHERE ledger_id = ? AND seq > ? AND seq <= ? ORDER BY seq').pluck(),
    node: db.prepare('SELECT hash FROM ledger_nodes WHERE ledger_id = ? AND level = ? AND idx = ?').pluck(),
  };
  const nodes = (ledgerId: string, refs: readonly SubtreeRef[]) =>
    refs.map((ref) => {
      const hash = proofReads.node.get(ledgerId, ref.level, ref.index);
      return hash === undefined ? null : leafHashFromRow(hash);
    });
  const head = (ledgerId: string) => storedHeadFromRow(db.prepare(`SELECT ${HEAD_COLUMNS} FROM ledger_heads WHERE ledger_id = ?`).get(ledgerId));
  return {
    entries(ledgerId, query) {
      const clauses = ['ledger_id = @ledgerId'];
      if (query.tenantId !== undefined) clauses.push('tenant_id = @tenantId');
      if (query.eventType !== undefined) clauses.push('event_type = @eventType');
      if (query.beforeSeq !== undefined) clauses.push('seq < @beforeSeq');
      const rows = db
        .prepare(`SELECT * FROM ledger_entries WHERE ${clauses.join(' AND ')} ORDER BY seq DESC LIMIT @limit`)
        .all({ ledgerId, tenantId: query.tenantId, eventType: query.eventType, beforeSeq: query.beforeSeq, limit: query.limit });
      return Promise.resolve(rows.map((row) => storedEntryFromRow(row)));
    },
    entry(ledgerId, seq) {
      const row = db.prepare('SELECT * FROM ledger_entries WHERE ledger_id = ? AND seq = ?').get(ledgerId, seq);
      return Promise.resolve(row === undefined ? null : storedEntryFromRow(row));
    },
    head: (ledgerId) => Promise.resolve(head(ledgerId)),
    leafHashes: (ledgerId, size) => Promise.resolve(db.prepare('SELECT leaf_hash FROM ledger_entries WHERE ledger_id = ? AND seq <= ? ORDER BY seq').pluck().all(ledgerId, size).map(leafHashFromRow)),
    leafRange: (ledgerId, start, end) => Promise.resolve(proofReads.leafRange.all(ledgerId, start, end).map(leafHashFromRow)),
    nodes: (ledgerId, refs) => Promise.resolve(nodes(ledgerId, refs)),
    verifyOffThread(ledgerId, key, signedHead) {
      const lastOf = (from: Database.Database) => Number(from.prepare('SELECT COALESCE(MAX(seq), 0) FROM ledger_entries WHERE ledger_id = ?').pluck().get(ledgerId));
      // A small ledger is verified in-line (a thread costs more), unless this connection has a
      // write transaction open: its entries are there before its head (written at commit).
      if (db.memory || (!db.inTransaction && lastOf(db) < OFF_THREAD_FROM)) return Promise.resolve(null);
      // Head and last seq as committed, read together, so appends meanwhile are not seen.
      const committed = new Database(db.name, { readonly: true, fileMustExist: true });
      try {
        // And a node beyond the head's size, read with them: an append meanwhile completes nodes past it.
        const { head: signed, last, beyond } = committed.transaction(() => {
          const stored = signedHead(storedHeadFromRow(committed.prepare(`SELECT ${HEAD_COLUMNS} FROM ledger_heads WHERE ledger_id = ?`).get(ledgerId)));
          return { head: stored, last: lastOf(committed), beyond: nodeBeyond(committed, ledgerId, stored?.size ?? 0) };
        })();
        return verifyOffThread(db.name, key, ledgerId, signed, last, beyond);
      } finally {
        committed.close();
      }
    },
    scan(ledgerId, check) {
      const read = () => {
        const rows = db.prepare('SELECT * FROM ledger_entries WHERE ledger_id = ? ORDER BY seq').iterate(ledgerId);
        const entries = function* () {
          for (const row of rows) yield storedEntryFromRow(row);
        };
        return check(entries(), () => Promise.resolve(head(ledgerId)), { read: (refs) => Promise.resolve(nodes(ledgerId, refs)), beyond: (size) => Promise.resolve(nodeBeyond(db, ledgerId, size)) });
      };
      // Inside a write transaction of this connection, that transaction is already one snapshot.
      if (db.inTransaction) return read();
      // Entries, head and nodes in one read transaction: read apart, an append committed in
      // between (by another connection) showed a head past the entries read, a false fault. Under
      // the write mutex, as this connection's writers would otherwise BEGIN inside it.
      return mutex.run(async () => {
        db.exec('BEGIN DEFERRED');
        try {
          return await read();
        } finally {
          if (db.inTransaction) db.exec('COMMIT');
        }
      });
    },
  };
}

/** The writer's statements, prepared once per connection (a writer is made per transaction). */
const statements = new WeakMap<Database.Database, { head: Database.Statement; entry: Database.Statement; upsertHead: Database.Statement; node: Database.Statement }>();

function writerStatements(db: Database.Database) {
  let prepared = statements.get(db);
  if (prepared === undefined) {
    prepared = {
      head: db.prepare(`SELECT ${HEAD_COLUMNS} FROM ledger_heads WHERE ledger_id = ?`),
      entry: db.prepare(insertEntry),
      upsertHead: db.prepare(
        `INSERT INTO ledger_heads (ledger_id, size, root, frontier, mac) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(ledger_id) DO UPDATE SET size = excluded.size, root = excluded.root, frontier = excluded.frontier, mac = excluded.mac`,
      ),
      node: db.prepare('INSERT INTO ledger_nodes (ledger_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
    };
    statements.set(db, prepared);
  }
  return prepared;
}

/** Appends inside the caller's transaction: BEGIN IMMEDIATE holds the write lock, so the head cannot move meanwhile. */
export function sqliteLedgerWriter(db: Database.Database): LedgerRowWriter {
  const prepared = writerStatements(db);
  return {
    headForAppend: (ledgerId) => Promise.resolve(storedHeadFromRow(prepared.head.get(ledgerId))),
    insert(ledgerId, entry) {
      prepared.entry.run({ ledger_id: ledgerId, tenant_id: entry.tenantId, ...entryColumns(entry) });
      return Promise.resolve();
    },
    saveHead(ledgerId, head, nodes) {
      prepared.upsertHead.run(ledgerId, head.size, head.root, head.frontier, head.mac);
      for (const node of nodes) prepared.node.run(ledgerId, node.level, node.index, node.hash);
      return Promise.resolve();
    },
  };
}

/**
 * Builds the stored nodes of every ledger that lacks them (written before ledger_nodes existed, or
 * by a version that did not write them): run when the store opens, before any append. A ledger
 * with the right count of nodes is left alone; answers the ledgers rebuilt.
 */
export function buildMissingLedgerNodes(db: Database.Database): string[] {
  const counts = new Map(db.prepare('SELECT ledger_id, COUNT(*) AS n FROM ledger_nodes GROUP BY ledger_id').raw().all().map((row) => [String((row as unknown[])[0]), Number((row as unknown[])[1])]));
  const heads = db.prepare('SELECT ledger_id, size FROM ledger_heads').raw().all() as [string, number][];
  const rebuilt: string[] = [];
  for (const [ledgerId, size] of heads) {
    if ((counts.get(ledgerId) ?? 0) === storedNodeCount(size)) continue;
    const insert = db.prepare('INSERT INTO ledger_nodes (ledger_id, level, idx, hash) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      db.prepare('DELETE FROM ledger_nodes WHERE ledger_id = ?').run(ledgerId);
      // Read a page at a time (.all): the connection cannot insert while a statement iterates.
      const page = db.prepare('SELECT leaf_hash FROM ledger_entries WHERE ledger_id = ? AND seq > ? AND seq <= ? ORDER BY seq').pluck();
      const leaves = function* (): Generator<Buffer> {
        for (let from = 0; from < size; from += 65_536) yield* page.all(ledgerId, from, Math.min(size, from + 65_536)).map(leafHashFromRow);
      };
      nodesFromLeaves(leaves(), (nodes: StoredNode[]) => {
        for (const node of nodes) insert.run(ledgerId, node.level, node.index, node.hash);
      });
    })();
    rebuilt.push(ledgerId);
  }
  return rebuilt;
}
