import type Database from 'better-sqlite3';
import { canonicalEntryBytes, canonicalDetails, entryMac, headMac } from '../../audit/ledger-codec';
import { leafHash, MerkleFrontier } from '../../audit/merkle';
import type { LedgerEntry, LedgerEntryInput, LedgerQuery, LedgerVerification } from '../types';

interface EntryRow {
  ledger_id: string;
  seq: number;
  ts: string;
  actor: string;
  event_type: string;
  tenant_id: string | null;
  details: string;
  leaf_hash: Buffer;
  mac: Buffer;
}

interface HeadRow {
  size: number;
  root: Buffer;
  frontier: Buffer;
  mac: Buffer;
}

function toEntry(row: EntryRow): LedgerEntry {
  return {
    ledgerId: row.ledger_id,
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    eventType: row.event_type,
    tenantId: row.tenant_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    leafHash: row.leaf_hash,
  };
}

/**
 * Append-only Merkle ledgers (RFC 6962) in the control store: the provider ledger and one per
 * tenant, told apart by ledger_id. Entries and tree heads carry an HMAC under a key derived from
 * the deployment key, so a row edited in the file is caught and named, even with its hash redone.
 */
export class SqliteLedgers {
  constructor(
    private readonly db: Database.Database,
    private readonly key: Buffer,
  ) {}

  /** Appends inside the caller's transaction. seq starts at 1; leaf index = seq - 1. */
  append(ledgerId: string, input: LedgerEntryInput, ts: string): LedgerEntry {
    const head = this.db.prepare('SELECT size, root, frontier, mac FROM ledger_heads WHERE ledger_id = ?').get(ledgerId) as HeadRow | undefined;
    const frontier = head ? MerkleFrontier.deserialize(head.size, head.frontier) : new MerkleFrontier();
    const seq = frontier.size + 1;
    const detailsJson = canonicalDetails(input.details);
    const leaf = leafHash(canonicalEntryBytes({ ledgerId, seq, ts, actor: input.actor, eventType: input.eventType, tenantId: input.tenantId, detailsJson }));
    frontier.append(leaf);
    const root = frontier.root();
    this.db
      .prepare('INSERT INTO ledger_entries (ledger_id, seq, ts, actor, event_type, tenant_id, details, leaf_hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(ledgerId, seq, ts, input.actor, input.eventType, input.tenantId, detailsJson, leaf, entryMac(this.key, ledgerId, seq, leaf));
    this.db
      .prepare(
        `INSERT INTO ledger_heads (ledger_id, size, root, frontier, mac) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(ledger_id) DO UPDATE SET size = excluded.size, root = excluded.root, frontier = excluded.frontier, mac = excluded.mac`,
      )
      .run(ledgerId, seq, root, frontier.serialize(), headMac(this.key, ledgerId, seq, root));
    return { ledgerId, seq, ts, ...input, leafHash: leaf };
  }

  entries(ledgerId: string, query: LedgerQuery): LedgerEntry[] {
    const clauses = ['ledger_id = @ledgerId'];
    if (query.tenantId !== undefined) clauses.push('tenant_id = @tenantId');
    if (query.eventType !== undefined) clauses.push('event_type = @eventType');
    if (query.beforeSeq !== undefined) clauses.push('seq < @beforeSeq');
    const rows = this.db
      .prepare(`SELECT * FROM ledger_entries WHERE ${clauses.join(' AND ')} ORDER BY seq DESC LIMIT @limit`)
      .all({ ledgerId, tenantId: query.tenantId, eventType: query.eventType, beforeSeq: query.beforeSeq, limit: query.limit }) as EntryRow[];
    return rows.map(toEntry);
  }

  entry(ledgerId: string, seq: number): LedgerEntry | null {
    const row = this.db.prepare('SELECT * FROM ledger_entries WHERE ledger_id = ? AND seq = ?').get(ledgerId, seq) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  head(ledgerId: string): { size: number; root: Buffer } {
    const head = this.db.prepare('SELECT size, root FROM ledger_heads WHERE ledger_id = ?').get(ledgerId) as Pick<HeadRow, 'size' | 'root'> | undefined;
    return head ?? { size: 0, root: new MerkleFrontier().root() };
  }

  leafHashes(ledgerId: string, size: number): Buffer[] {
    const rows = this.db.prepare('SELECT leaf_hash FROM ledger_entries WHERE ledger_id = ? AND seq <= ? ORDER BY seq').pluck().all(ledgerId, size) as Buffer[];
    return rows;
  }

  verify(ledgerId: string): LedgerVerification {
    const frontier = new MerkleFrontier();
    const bad = (seq: number | null, reason: string): LedgerVerification => ({ ok: false, size: frontier.size, root: null, firstBadSeq: seq, reason });
    const rows = this.db.prepare('SELECT * FROM ledger_entries WHERE ledger_id = ? ORDER BY seq').iterate(ledgerId) as IterableIterator<EntryRow>;
    for (const row of rows) {
      const expectedSeq = frontier.size + 1;
      if (row.seq !== expectedSeq) {
        return bad(expectedSeq, `entry ${expectedSeq} is missing (next stored entry is ${row.seq})`);
      }
      const leaf = leafHash(
        canonicalEntryBytes({ ledgerId, seq: row.seq, ts: row.ts, actor: row.actor, eventType: row.event_type, tenantId: row.tenant_id, detailsJson: row.details }),
      );
      if (!leaf.equals(row.leaf_hash)) {
        return bad(row.seq, `entry ${row.seq} does not match its leaf hash (its content was changed)`);
      }
      if (!entryMac(this.key, ledgerId, row.seq, leaf).equals(row.mac)) {
        return bad(row.seq, `entry ${row.seq} fails its authentication code (rewritten without the deployment key)`);
      }
      frontier.append(leaf);
    }
    const head = this.db.prepare('SELECT size, root, frontier, mac FROM ledger_heads WHERE ledger_id = ?').get(ledgerId) as HeadRow | undefined;
    const root = frontier.root();
    if (head === undefined) {
      return frontier.size === 0 ? { ok: true, size: 0, root } : bad(null, 'the ledger has entries but no signed tree head');
    }
    if (!headMac(this.key, ledgerId, head.size, head.root).equals(head.mac)) {
      return bad(null, 'the signed tree head fails its authentication code');
    }
    if (head.size !== frontier.size) {
      return bad(frontier.size + 1, `the signed tree head has ${head.size} entries but ${frontier.size} are stored (entries removed)`);
    }
    if (!head.root.equals(root)) {
      return bad(null, 'the recomputed root differs from the signed tree head');
    }
    return { ok: true, size: frontier.size, root };
  }
}
