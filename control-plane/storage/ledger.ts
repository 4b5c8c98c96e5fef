import { headFrontier, prepareAppend, signHead, verifyStoredLedger, type StoredEntry, type StoredHead, type StoredNodeSource } from '../audit/ledger-chain';
import { MerkleFrontier, consistencyRanges, inclusionRanges, rangeRoots, rootFromLeafHashes, type SubtreeRef } from '../audit/merkle';

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
  /** Leaf hashes of the first `size` entries, in order. */
  leafHashes(ledgerId: string, size: number): Promise<Buffer[]>;
  /**
   * RFC 6962 PATH(index, D[size]) and MTH(D[size]) from stored subtree roots: O(log n) reads.
   * Null when the stored rows fall short of `size` (a ledger that does not match its head).
   */
  inclusionProof(ledgerId: string, index: number, size: number): Promise<{ auditPath: Buffer[]; root: Buffer } | null>;
  /** RFC 6962 PROOF(oldSize, D[newSize]) from stored subtree roots; null as for inclusionProof. */
  consistencyProof(ledgerId: string, oldSize: number, newSize: number): Promise<Buffer[] | null>;
}

/**
 * Interior nodes of this level and above (perfect subtrees of 16 leaves or more) are stored as
 * appends complete them; lower ones are hashed from the leaves of their block of 16 when a proof
 * needs them. About one node row per 8 entries. Measured on a 200,000-entry ledger, one
 * consistency proof took 0.8 ms with level 8 (reading 256-leaf blocks) and 0.2 ms with level 4.
 * PostgreSQL's migration (postgres/schema.ts BUILD_LEDGER_NODES) keeps the same levels.
 */
export const STORED_NODE_LEVEL = 4;

/** A stored interior node: the root of leaves [index·2^level, (index+1)·2^level). */
export interface StoredNode {
  level: number;
  index: number;
  hash: Buffer;
}

/** How many nodes a ledger of `size` entries stores (one per completed subtree of STORED_NODE_LEVEL or more). */
export function storedNodeCount(size: number): number {
  let count = 0;
  for (let width = 2 ** STORED_NODE_LEVEL; width <= size; width *= 2) {
    count += Math.floor(size / width);
  }
  return count;
}

/**
 * The nodes a ledger stores, from its leaf hashes in order (built once for a ledger written
 * before nodes were stored), handed to `save` a thousand at a time; answers how many.
 */
export function nodesFromLeaves(leaves: Iterable<Buffer>, save: (nodes: StoredNode[]) => void): number {
  const frontier = new MerkleFrontier();
  let nodes: StoredNode[] = [];
  let saved = 0;
  for (const leaf of leaves) {
    frontier.append(leaf, keepStored(nodes));
    if (nodes.length >= 1_000) {
      save(nodes);
      saved += nodes.length;
      nodes = [];
    }
  }
  save(nodes);
  return saved + nodes.length;
}

/** A frontier `completed` callback that keeps the nodes a ledger stores. */
const keepStored =
  (nodes: StoredNode[]) =>
  (level: number, index: number, hash: Buffer): void => {
    if (level >= STORED_NODE_LEVEL) nodes.push({ level, index, hash });
  };

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
  /** Leaf hashes of the entries at leaf index start..end-1 (seq start+1..end), in order; fewer if rows are missing. */
  leafRange(ledgerId: string, start: number, end: number): Promise<Buffer[]>;
  /** The stored nodes asked for (each level ≥ STORED_NODE_LEVEL), in order; null for one not stored. */
  nodes(ledgerId: string, refs: readonly SubtreeRef[]): Promise<(Buffer | null)[]>;
  /**
   * Verifies the ledger off the event loop where the engine can (answers null to be verified
   * in-line through scan instead, e.g. a small ledger). `signedHead` is how a stored head counts.
   */
  verifyOffThread?(ledgerId: string, key: Buffer, signedHead: (head: StoredHead | null) => StoredHead | null): Promise<LedgerVerification | null>;
  /** Hands `check` every entry in seq order, the head and the stored nodes, read together (one read transaction where the engine has them). */
  scan<T>(
    ledgerId: string,
    check: (entries: AsyncIterable<StoredEntry> | Iterable<StoredEntry>, head: () => Promise<StoredHead | null>, nodes: Omit<StoredNodeSource, 'fromLevel'>) => Promise<T>,
  ): Promise<T>;
}

/** What an append stores, inside the caller's transaction. */
export interface LedgerRowWriter {
  /** The head, locked against other appends until the transaction ends (null before the first entry). */
  headForAppend(ledgerId: string): Promise<Pick<StoredHead, 'size' | 'frontier'> | null>;
  /** Stores a new entry (its head follows with saveHead before the transaction commits). */
  insert(ledgerId: string, entry: StoredEntry): Promise<void>;
  /** Replaces the head with `head` and stores the interior nodes the transaction's appends completed. */
  saveHead(ledgerId: string, head: StoredHead, nodes: readonly StoredNode[]): Promise<void>;
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
    verify: async (ledgerId) =>
      (await rows.verifyOffThread?.(ledgerId, key, signed)) ??
      rows.scan(ledgerId, async (entries, head, nodes) => verifyStoredLedger(key, ledgerId, entries, async () => signed(await head()), { fromLevel: STORED_NODE_LEVEL, ...nodes })),
    leafHashes: (ledgerId, size) => rows.leafHashes(ledgerId, size),
    inclusionProof: (ledgerId, index, size) =>
      short(async () => {
        const [root, ...auditPath] = await rangeRoots([[0, size], ...inclusionRanges(index, size)], subtreeRoots(rows, ledgerId));
        return { auditPath, root: root as Buffer };
      }),
    consistencyProof: (ledgerId, oldSize, newSize) => short(() => rangeRoots(consistencyRanges(oldSize, newSize), subtreeRoots(rows, ledgerId))),
  };
}

/** Stored rows fell short of what a proof needs. */
class RowsMissing extends Error {}

async function short<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RowsMissing) return null;
    throw error;
  }
}

/**
 * Roots of perfect subtrees: stored nodes from the level they are stored at; below it, hashed from
 * the leaves. The smaller subtrees of a proof sit in the one or two blocks of 2^STORED_NODE_LEVEL
 * leaves around its sizes and index, so each such block's leaves are read once, in one query.
 */
function subtreeRoots(rows: LedgerRowReader, ledgerId: string) {
  const block = 2 ** STORED_NODE_LEVEL;
  return async (refs: SubtreeRef[]): Promise<Buffer[]> => {
    const stored = await rows.nodes(
      ledgerId,
      refs.filter((ref) => ref.level >= STORED_NODE_LEVEL),
    );
    const blocks = new Map<number, Buffer[]>();
    for (const ref of refs) {
      const first = Math.floor((ref.index * 2 ** ref.level) / block);
      if (ref.level < STORED_NODE_LEVEL && !blocks.has(first)) {
        // A block's leaves as far as they go (the last block of a ledger is partial).
        blocks.set(first, await rows.leafRange(ledgerId, first * block, (first + 1) * block));
      }
    }
    let next = 0;
    return refs.map((ref) => {
      if (ref.level >= STORED_NODE_LEVEL) {
        const hash = stored[next++];
        if (hash === null || hash === undefined) throw new RowsMissing();
        return hash;
      }
      const width = 2 ** ref.level;
      const start = ref.index * width;
      const leaves = (blocks.get(Math.floor(start / block)) ?? []).slice(start % block, (start % block) + width);
      if (leaves.length !== width) throw new RowsMissing();
      return width === 1 ? (leaves[0] as Buffer) : rootFromLeafHashes(leaves);
    });
  };
}

/** A ledger's state in one write transaction: its frontier and the nodes its appends completed. */
interface PendingLedger {
  frontier: MerkleFrontier;
  nodes: StoredNode[];
}

/**
 * The ledgers' writes of one transaction (made per transaction). The head is read and locked once
 * per ledger; each append stores its entry and extends the frontier in memory; `flush` (run by the
 * storage just before commit) signs and stores each touched ledger's head once, with the interior
 * nodes the batch completed. A batch of appends so computes and signs one root, not one per entry.
 */
export function ledgerWrites(rows: LedgerRowWriter, key: Buffer): LedgerWrites & { flushLedgers(): Promise<void> } {
  const pending = new Map<string, PendingLedger>();
  return {
    /** seq starts at 1; leaf index = seq - 1. */
    appendLedger: async (ledgerId, input, ts) => {
      let ledger = pending.get(ledgerId);
      if (ledger === undefined) {
        ledger = { frontier: headFrontier(signed(await rows.headForAppend(ledgerId))), nodes: [] };
        pending.set(ledgerId, ledger);
      }
      const entry = prepareAppend(key, ledgerId, ledger.frontier.size + 1, input, ts);
      // Stored before the frontier takes it: a failed insert leaves the frontier as the rows are.
      await rows.insert(ledgerId, entry);
      ledger.frontier.append(entry.leafHash, keepStored(ledger.nodes));
      return ledgerEntry(ledgerId, entry);
    },
    flushLedgers: async () => {
      for (const [ledgerId, ledger] of pending) {
        if (ledger.frontier.size > 0) {
          await rows.saveHead(ledgerId, signHead(key, ledgerId, ledger.frontier), ledger.nodes);
        }
      }
      pending.clear();
    },
  };
}
