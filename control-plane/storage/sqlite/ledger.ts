import type Database from 'better-sqlite3';
import { prepareAppend, verifyStoredLedger, type StoredEntry } from '../../audit/ledger-chain';
import { MerkleFrontier } from '../../audit/merkle';
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
    const current = this.db.prepare('SELECT size, frontier FROM ledger_heads WHERE ledger_id = ?').get(ledgerId) as Pick<HeadRow, 'size' | 'frontier'> | undefined;
    const { entry, head } = prepareAppend(this.key, ledgerId, current ?? null, input, ts);
    this.db
      .prepare('INSERT INTO ledger_entries (ledger_id, seq, ts, actor, event_type, tenant_id, details, leaf_hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(ledgerId, entry.seq, ts, input.actor, input.eventType, input.tenantId, entry.detailsJson, entry.leafHash, entry.mac);
    this.db
      .prepare(
        `INSERT INTO ledger_heads (ledger_id, size, root, frontier, mac) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(ledger_id) DO UPDATE SET size = excluded.size, root = excluded.root, frontier = excluded.frontier, mac = excluded.mac`,
      )
      .run(ledgerId, head.size, head.root, head.frontier, head.mac);
    return { ledgerId, seq: entry.seq, ts, ...input, leafHash: entry.leafHash };
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

  verify(ledgerId: string): Promise<LedgerVerification> {
    const rows = this.db.prepare('SELECT * FROM ledger_entries WHERE ledger_id = ? ORDER BY seq').iterate(ledgerId) as IterableIterator<EntryRow>;
    const stored = function* (): Generator<StoredEntry> {
      for (const row of rows) {
        yield { seq: row.seq, ts: row.ts, actor: row.actor, eventType: row.event_type, tenantId: row.tenant_id, detailsJson: row.details, leafHash: row.leaf_hash, mac: row.mac };
      }
    };
    const readHead = () => Promise.resolve((this.db.prepare('SELECT size, root, frontier, mac FROM ledger_heads WHERE ledger_id = ?').get(ledgerId) as HeadRow | undefined) ?? null);
    return verifyStoredLedger(this.key, ledgerId, stored(), readHead);
  }
}
