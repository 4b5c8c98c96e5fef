import type { LedgerVerification } from '../storage/types';
import { canonicalDetails, entryLeafHash, entryMac, headMac } from './ledger-codec';
import { MerkleFrontier, type SubtreeRef } from './merkle';

/**
 * The engine-independent part of the ledgers: what an append writes and how a stored ledger is
 * verified. Engines only store and read rows; SQLite and PostgreSQL hash and sign identically.
 */
export interface StoredEntry {
  seq: number;
  ts: string;
  actor: string;
  eventType: string;
  tenantId: string | null;
  detailsJson: string;
  leafHash: Buffer;
  mac: Buffer;
}

export interface StoredHead {
  size: number;
  root: Buffer;
  frontier: Buffer;
  mac: Buffer;
}

/**
 * The entry that appending `input` as entry `seq` of a ledger stores: its leaf hash and MAC. The
 * caller appends `entry.leafHash` to the ledger's frontier once the row is stored, and signs the
 * head (signHead) once per transaction: a batch of appends neither deserializes the frontier nor
 * computes and signs a root per entry.
 */
export function prepareAppend(
  key: Buffer,
  ledgerId: string,
  seq: number,
  input: { actor: string; eventType: string; tenantId: string | null; details: Record<string, unknown> },
  ts: string,
): StoredEntry {
  const detailsJson = canonicalDetails(input.details);
  const leaf = entryLeafHash({ ledgerId, seq, ts, actor: input.actor, eventType: input.eventType, tenantId: input.tenantId, detailsJson });
  return { seq, ts, actor: input.actor, eventType: input.eventType, tenantId: input.tenantId, detailsJson, leafHash: leaf, mac: entryMac(key, ledgerId, seq, leaf) };
}

/** The signed tree head of a ledger whose leaves `frontier` has taken. */
export function signHead(key: Buffer, ledgerId: string, frontier: MerkleFrontier): StoredHead {
  const root = frontier.root();
  return { size: frontier.size, root, frontier: frontier.serialize(), mac: headMac(key, ledgerId, frontier.size, root) };
}

/** The frontier a stored head holds (an empty one before the first entry). */
export function headFrontier(head: Pick<StoredHead, 'size' | 'frontier'> | null): MerkleFrontier {
  return head === null ? new MerkleFrontier() : MerkleFrontier.deserialize(head.size, head.frontier);
}

/**
 * Why a stored entry, expected as entry `expectedSeq`, is bad (null: it is good). Its leaf hash on
 * success goes to `leafOut`, so the caller appends it without hashing again.
 */
export function entryFault(key: Buffer, ledgerId: string, row: StoredEntry, expectedSeq: number, leafOut: { leaf: Buffer | null }): string | null {
  if (row.seq !== expectedSeq) {
    return `entry ${expectedSeq} is missing (next stored entry is ${row.seq})`;
  }
  const leaf = entryLeafHash({ ledgerId, seq: row.seq, ts: row.ts, actor: row.actor, eventType: row.eventType, tenantId: row.tenantId, detailsJson: row.detailsJson });
  if (!leaf.equals(row.leafHash)) {
    return `entry ${row.seq} does not match its leaf hash (its content was changed)`;
  }
  if (!entryMac(key, ledgerId, row.seq, leaf).equals(row.mac)) {
    return `entry ${row.seq} fails its authentication code (rewritten without the deployment key)`;
  }
  leafOut.leaf = leaf;
  return null;
}

/** The verdict once every stored entry checked out into `frontier`: does the signed head agree? */
export function headVerdict(key: Buffer, ledgerId: string, frontier: MerkleFrontier, head: StoredHead | null): LedgerVerification {
  const root = frontier.root();
  const bad = (seq: number | null, reason: string): LedgerVerification => ({ ok: false, size: frontier.size, root: null, firstBadSeq: seq, reason });
  if (head === null) {
    return frontier.size === 0 ? { ok: true, size: 0, root } : bad(null, 'the ledger has entries but no signed tree head');
  }
  if (!headMac(key, ledgerId, head.size, head.root).equals(head.mac)) {
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

/**
 * Why a stored tree node (a perfect subtree root kept to serve proofs) does not count, `stored`
 * its hex as stored (undefined: not stored); null when it equals `recomputed`.
 */
export function storedNodeFault(level: number, index: number, stored: string | undefined, recomputed: string): string | null {
  if (stored === recomputed) return null;
  const leaves = `entries ${index * 2 ** level + 1} to ${(index + 1) * 2 ** level}`;
  return stored === undefined
    ? `the stored tree node at level ${level}, index ${index} (${leaves}) is missing (proofs over those entries cannot be served)`
    : `the stored tree node at level ${level}, index ${index} (${leaves}) differs from the tree recomputed from the entries (proofs from it would be wrong)`;
}

/** The stored tree nodes (perfect subtree roots kept to serve proofs) verify compares: those from `fromLevel` up. */
export interface StoredNodeSource {
  fromLevel: number;
  /** The stored nodes asked for, in order; null for one not stored. */
  read(refs: SubtreeRef[]): Promise<(Buffer | null)[]>;
  /** A stored node covering entries past the first `size`, or null (one query). */
  beyond(size: number): Promise<SubtreeRef | null>;
}

/**
 * A verdict that passed, checked once more for a stored node beyond the verified size: no proof
 * reads one, but the append that completes its subtree would fail on its primary key.
 */
export async function nodesBeyondVerdict(verdict: LedgerVerification, beyond: (size: number) => Promise<SubtreeRef | null>): Promise<LedgerVerification> {
  if (!verdict.ok) return verdict;
  const node = await beyond(verdict.size);
  if (node === null) return verdict;
  const leaves = `entries ${node.index * 2 ** node.level + 1} to ${(node.index + 1) * 2 ** node.level}`;
  const reason = `the stored tree node at level ${node.level}, index ${node.index} (${leaves}) lies beyond the ledger's ${verdict.size} entries (the append that completes it would fail)`;
  return { ok: false, size: verdict.size, root: null, firstBadSeq: null, reason };
}

/**
 * Recomputes every leaf, entry MAC and the root from stored rows (in seq order); names the first
 * bad entry; then compares the stored tree nodes the entries complete (`nodes`), then the head,
 * then looks for a stored node beyond the head's size.
 */
export async function verifyStoredLedger(
  key: Buffer,
  ledgerId: string,
  rows: AsyncIterable<StoredEntry> | Iterable<StoredEntry>,
  readHead: () => Promise<StoredHead | null>,
  nodes?: StoredNodeSource,
): Promise<LedgerVerification> {
  const frontier = new MerkleFrontier();
  const out: { leaf: Buffer | null } = { leaf: null };
  const completed: { ref: SubtreeRef; hash: Buffer }[] = [];
  const keep =
    nodes === undefined
      ? undefined
      : (level: number, index: number, hash: Buffer) => {
          if (level >= nodes.fromLevel) completed.push({ ref: { level, index }, hash });
        };
  for await (const row of rows) {
    const expectedSeq = frontier.size + 1;
    const fault = entryFault(key, ledgerId, row, expectedSeq, out);
    if (fault !== null) {
      return { ok: false, size: frontier.size, root: null, firstBadSeq: row.seq === expectedSeq ? row.seq : expectedSeq, reason: fault };
    }
    frontier.append(out.leaf as Buffer, keep);
  }
  if (nodes !== undefined && completed.length > 0) {
    const stored = await nodes.read(completed.map((node) => node.ref));
    for (const [i, { ref, hash }] of completed.entries()) {
      const fault = storedNodeFault(ref.level, ref.index, stored[i]?.toString('hex'), hash.toString('hex'));
      if (fault !== null) return { ok: false, size: frontier.size, root: null, firstBadSeq: null, reason: fault };
    }
  }
  const verdict = headVerdict(key, ledgerId, frontier, await readHead());
  return nodes === undefined ? verdict : nodesBeyondVerdict(verdict, (size) => nodes.beyond(size));
}
