// Merkle tree figures for the audit ledgers (control-plane/audit/merkle.ts): how long hashing and
// rooting a million ledger entries takes, and what one append (+ new root) costs on a large ledger.
// Times are wall-clock (performance.now) on a shared machine: compare ratios within one run.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MerkleFrontier, consistencyProof, consistencyRanges, leafHash, rangeRoots, rootFromLeafHashes, type SubtreeRef } from '../../control-plane/audit/merkle';
import { STORED_NODE_LEVEL } from '../../control-plane/storage/ledger';

const LEAVES = 1_000_000;
const APPEND_AND_ROOT = 100_000;
const WARM_UP = 20_000;

/** Ledger-like JSON entries of about 200 bytes each. */
function makeEntries(count: number): Buffer[] {
  const entries: Buffer[] = new Array<Buffer>(count);
  const base = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    const entry = {
      seq: i,
      at: new Date(base + i * 1_000).toISOString(),
      tenant: `tenant-${(i % 997).toString().padStart(4, '0')}`,
      actor: `operator-${(i % 31).toString().padStart(2, '0')}`,
      action: 'probe.config.update',
      target: `probe/${(i * 7919) % 100_003}`,
      detail: { interval_s: 30 + (i % 5) * 15, timeout_ms: 2_000, region: 'eu-west' },
    };
    entries[i] = Buffer.from(JSON.stringify(entry));
  }
  return entries;
}

function hashAll(entries: readonly Buffer[]): Buffer[] {
  const hashes: Buffer[] = new Array<Buffer>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    hashes[i] = leafHash(entries[i] as Buffer);
  }
  return hashes;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const perSecond = (count: number, ms: number): number => Math.round((count / ms) * 1_000);

export async function merkleFigures(): Promise<Record<string, unknown>> {
  const entries = makeEntries(LEAVES);
  const entryBytes = entries.reduce((sum, entry) => sum + entry.length, 0) / entries.length;

  // Warm-up (JIT, hash bindings) on a prefix.
  rootFromLeafHashes(hashAll(entries.slice(0, WARM_UP)));
  await yieldToEventLoop();

  // 1,000,000 entries: leaf hashes, then the root over them.
  let started = performance.now();
  const leaves = hashAll(entries);
  const hashMs = performance.now() - started;
  await yieldToEventLoop();
  started = performance.now();
  rootFromLeafHashes(leaves);
  const rootMs = performance.now() - started;
  await yieldToEventLoop();

  // One consistency proof on the million-leaf ledger (what a witness asks for), from the leaf hashes in memory.
  started = performance.now();
  consistencyProof(leaves, 654_321, LEAVES);
  const consistencyMs = performance.now() - started;
  await yieldToEventLoop();

  // The same leaves through a frontier, appends only (what a ledger does per entry without asking for the root).
  const frontier = new MerkleFrontier();
  started = performance.now();
  for (const leaf of leaves) {
    frontier.append(leaf);
  }
  const appendOnlyMs = performance.now() - started;
  await yieldToEventLoop();

  // The same proof from the subtree roots a ledger stores (levels ≥ STORED_NODE_LEVEL, kept here in
  // a Map as the appends complete them; lower ones hashed from the leaves), as storage/ledger.ts does.
  const nodes = new Map<string, Buffer>();
  const withNodes = new MerkleFrontier();
  for (const leaf of leaves) {
    withNodes.append(leaf, (level, index, hash) => {
      if (level >= STORED_NODE_LEVEL) nodes.set(`${level}/${index}`, hash);
    });
  }
  const fromNodes = (refs: SubtreeRef[]) =>
    Promise.resolve(refs.map((ref) => nodes.get(`${ref.level}/${ref.index}`) ?? rootFromLeafHashes(leaves.slice(ref.index * 2 ** ref.level, (ref.index + 1) * 2 ** ref.level))));
  started = performance.now();
  await rangeRoots(consistencyRanges(654_321, LEAVES), fromNodes);
  const consistencyFromNodesMs = performance.now() - started;
  await yieldToEventLoop();

  // On that million-leaf ledger, append + new root each time (what a ledger does per audited write).
  const more = hashAll(entries.slice(0, APPEND_AND_ROOT));
  started = performance.now();
  for (const leaf of more) {
    frontier.append(leaf);
    frontier.root();
  }
  const appendAndRootMs = performance.now() - started;

  return {
    leaves: LEAVES,
    entry_bytes_avg: round(entryBytes),
    leaf_hash_ms: round(hashMs),
    root_ms: round(rootMs),
    hash_and_root_ms: round(hashMs + rootMs),
    consistency_proof_ms: round(consistencyMs, 2),
    consistency_proof_from_stored_nodes_ms: round(consistencyFromNodesMs, 3),
    consistency_proof_goal_ms: 1,
    leaves_per_sec_hash_and_root: perSecond(LEAVES, hashMs + rootMs),
    leaf_hashes_per_sec: perSecond(LEAVES, hashMs),
    frontier_append_only_ms: round(appendOnlyMs),
    frontier_appends_per_sec: perSecond(LEAVES, appendOnlyMs),
    frontier_append_and_root_from_size: LEAVES,
    frontier_append_and_root_count: APPEND_AND_ROOT,
    frontier_append_and_root_us: round((appendAndRootMs * 1_000) / APPEND_AND_ROOT, 2),
    frontier_append_and_root_per_sec: perSecond(APPEND_AND_ROOT, appendAndRootMs),
  };
}
