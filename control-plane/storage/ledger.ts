import { prepareAppend, verifyStoredLedger, type StoredEntry, type StoredHead } from '../audit/ledger-chain';
import { MerkleFrontier } from '../audit/merkle';

/**
 * The ledgers: append-only Merkle logs (RFC 6962), the provider's and one per tenant. Hashing,
 * signing and verifying are audit/ledger-chain.ts's; each engine's ledger file only stores and
 * reads rows (LedgerRowReader, LedgerRowWriter, the same names on both), and the reader and the
 * append below turn those rows into ledger entries the same way for both.
 */
export interface LedgerEntryInput {
  actor: string;
  eventType: string;
  tenantId: string | null;
  details: Record<string, unknown>;
}

export interface LedgerEntry extends LedgerEntryInput {
  ledgerId: string;
  seq: number;
  ts: string;
  leafHash: Buffer;
}

export interface LedgerQuery {
  tenantId?: string | undefined;
  eventType?: string | undefined;
  /** Entries with seq below this (newest first paging). */
  beforeSeq?: number | undefined;
  limit: number;
}

export type LedgerVerification =
  | { ok: true; size: number; root: Buffer }
  | { ok: false; size: number; root: Buffer | null; firstBadSeq: number | null; reason: string };

export interface LedgerReader {
  /** Newest first. */
  entries(ledgerId: string, query: LedgerQuery): Promise<LedgerEntry[]>;
  entry(ledgerId: string, seq: number): Promise<LedgerEntry | null>;
  /** The signed tree head: size and root. */
  head(ledgerId: string): Promise<{ size: number; root: Buffer }>;
  /** Recomputes every leaf, every entry MAC and the root; names the first bad entry. */
  verify(ledgerId: string): Promise<LedgerVerification>;
  /** Leaf hashes of the first `size` entries, in order (for inclusion and consistency proofs). */
  leafHashes(ledgerId: string, size: number): Promise<Buffer[]>;
}

/** The ledgers' part of a write transaction. */
export interface LedgerWrites {
  appendLedger(ledgerId: string, entry: LedgerEntryInput, ts: string): Promise<LedgerEntry>;
}

/** Stored entries and heads as an engine reads them. */
export interface LedgerRowReader {
  /** Newest first. */
  entries(ledgerId: string, query: LedgerQuery): Promise<StoredEntry[]>;
  entry(ledgerId: string, seq: number): Promise<StoredEntry | null>;
  /** The signed tree head, or null before the first entry. */
  head(ledgerId: string): Promise<StoredHead | null>;
  leafHashes(ledgerId: string, size: number): Promise<Buffer[]>;
  /** Hands `check` every entry in seq order and the head, read together (one read transaction where the engine has them). */
  scan<T>(ledgerId: string, check: (entries: AsyncIterable<StoredEntry> | Iterable<StoredEntry>, head: () => Promise<StoredHead | null>) => Promise<T>): Promise<T>;
}

/** What an append stores, inside the caller's transaction. */
export interface LedgerRowWriter {
  /** The head, locked against other appends until the transaction ends (null before the first entry). */
  headForAppend(ledgerId: string): Promise<Pick<StoredHead, 'size' | 'frontier'> | null>;
  /** Stores the new entry and replaces the head with the one that includes it. */
  insert(ledgerId: string, entry: StoredEntry, head: StoredHead): Promise<void>;
}

function ledgerEntry(ledgerId: string, stored: StoredEntry): LedgerEntry {
  return {
    ledgerId,
    seq: stored.seq,
    ts: stored.ts,
    actor: stored.actor,
    eventType: stored.eventType,
    tenantId: stored.tenantId,
    details: JSON.parse(stored.detailsJson) as Record<string, unknown>,
    leafHash: stored.leafHash,
  };
}

/** A head of size 0 is one an append has just created: there is no signed head yet. */
const signed = <T extends { size: number }>(head: T | null): T | null => (head === null || head.size === 0 ? null : head);

export function ledgerReader(rows: LedgerRowReader, key: Buffer): LedgerReader {
  return {
    entries: async (ledgerId, query) => (await rows.entries(ledgerId, query)).map((stored) => ledgerEntry(ledgerId, stored)),
    entry: async (ledgerId, seq) => {
      const stored = await rows.entry(ledgerId, seq);
      return stored === null ? null : ledgerEntry(ledgerId, stored);
    },
    head: async (ledgerId) => {
      const head = signed(await rows.head(ledgerId));
      return head === null ? { size: 0, root: new MerkleFrontier().root() } : { size: head.size, root: head.root };
    },
    verify: (ledgerId) => rows.scan(ledgerId, async (entries, head) => verifyStoredLedger(key, ledgerId, entries, async () => signed(await head()))),
    leafHashes: (ledgerId, size) => rows.leafHashes(ledgerId, size),
  };
}

export function ledgerWrites(rows: LedgerRowWriter, key: Buffer): LedgerWrites {
  // One write transaction's frontiers (ledgerWrites is made per transaction): the head is read and
  // locked once per ledger, then each append of the batch extends the frontier in memory.
  const frontiers = new Map<string, MerkleFrontier>();
  return {
    /** seq starts at 1; leaf index = seq - 1. */
    appendLedger: async (ledgerId, input, ts) => {
      const { entry, head, frontier } = prepareAppend(key, ledgerId, frontiers.get(ledgerId) ?? signed(await rows.headForAppend(ledgerId)), input, ts);
      try {
        await rows.insert(ledgerId, entry, head);
      } catch (error) {
        // The frontier already holds the entry that was not stored: read the head again next time.
        frontiers.delete(ledgerId);
        throw error;
      }
      frontiers.set(ledgerId, frontier);
      return ledgerEntry(ledgerId, entry);
    },
  };
}
