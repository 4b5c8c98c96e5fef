import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { headVerdict, nodesBeyondVerdict, storedNodeFault, type StoredHead } from '../audit/ledger-chain';
import { MerkleFrontier, type SubtreeRef } from '../audit/merkle';
import { STORED_NODE_LEVEL, type StoredNode } from './ledger';
import type { VerifyRangeResult } from './sqlite/ledger-verify-protocol';
import type { LedgerVerification } from './types';

/** At most this many threads verify one ledger (the machine's cores permitting). */
const MAX_THREADS = 4;
/** Ranges are never smaller: a thread costs a few milliseconds to start. */
const MIN_RANGE = 2 ** 15;
/** Where a thread's share may end: each share is checked in aligned blocks (SpanCheck), so this only bounds how many. */
const SHARE_STEP = 2 ** 12;

/**
 * The first index at `level` whose stored node ends past entry `size`: node (level, idx) spans
 * entries idx·2^level + 1 to (idx + 1)·2^level. A lookup per level from here (LIMIT 1 on the
 * primary key) finds a node beyond the ledger without reading every node.
 */
export const firstIndexBeyond = (size: number, level: number): number => Math.floor(size / 2 ** level);

/**
 * `last` entries cut into one even share per thread (no more shares than MIN_RANGEs), ending on
 * multiples of SHARE_STEP. Shares of aligned powers of two left one thread 52% of a million.
 */
export function threadShares(last: number, threads: number): [number, number][] {
  const count = Math.max(1, Math.min(threads, Math.ceil(last / MIN_RANGE)));
  const shares: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= count && start < last; i++) {
    const end = i === count ? last : Math.round((last * i) / count / SHARE_STEP) * SHARE_STEP;
    if (end > start) shares.push([start, end]);
    start = Math.max(start, end);
  }
  return shares;
}

/**
 * Runs a verify thread on `data` and answers its `done` message's result; `progress` hears its
 * `progress` messages (entries of its range checked so far). Rejects when the thread fails
 * ('error', or an exit without an answer); `signal` terminates it.
 */
export function runVerifyThread(module: URL, data: unknown, progress?: (checked: number) => void, signal?: AbortSignal): Promise<VerifyRangeResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new Error('stopped before it started'));
      return;
    }
    const worker = new Worker(module, { workerData: data, execArgv: [] });
    // Aborted when another thread of the verify failed: this one's answer is no longer wanted.
    const stop = () => void worker.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    let answered = false;
    worker.on('message', (message: { kind: 'progress'; checked: number } | { kind: 'done'; result: VerifyRangeResult }) => {
      if (message.kind === 'progress') {
        progress?.(message.checked);
        return;
      }
      answered = true;
      resolve(message.result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', stop);
      if (!answered) reject(new Error(signal?.aborted === true ? 'stopped, another thread having failed' : `the thread stopped (exit ${code}) without an answer`));
    });
  });
}

/**
 * Verifies a ledger of `last` entries in one share per thread (threadShares), each checked by
 * `run` on a thread of its own in aligned blocks (so its subtrees join the previous ones whole);
 * the shares are joined in order, and the first fault in seq order is the answer, as the in-line
 * verify names it; then the first stored tree node that differs from the recomputed tree
 * (those above a range's width are completed here, and read with `storedNodes` as hex); then the
 * signed head; then a stored node beyond its size (`nodeBeyond`). `head` and `last` are read
 * together before, so appends meanwhile are not seen.
 */
export async function verifyInRanges(
  key: Buffer,
  ledgerId: string,
  head: StoredHead | null,
  last: number,
  run: (start: number, end: number, signal: AbortSignal) => Promise<VerifyRangeResult>,
  storedNodes: (nodes: readonly StoredNode[]) => Promise<(string | undefined)[]>,
  nodeBeyond: (size: number) => Promise<SubtreeRef | null>,
): Promise<LedgerVerification> {
  const ranges = threadShares(last, Math.max(1, Math.min(MAX_THREADS, availableParallelism())));
  // One thread failing fails the verify at once, naming its entries: the others are stopped, not waited for.
  const stop = new AbortController();
  const results = await Promise.all(
    ranges.map(([start, end]) =>
      run(start, end, stop.signal).catch((error: unknown) => {
        stop.abort();
        throw new Error(`the ledger verify thread for entries ${start + 1} to ${end} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }),
    ),
  );
  const frontier = new MerkleFrontier();
  const joined: StoredNode[] = [];
  const keep = (level: number, index: number, hash: Buffer) => {
    if (level >= STORED_NODE_LEVEL) joined.push({ level, index, hash });
  };
  let nodeFault: string | null = null;
  for (const [i, result] of results.entries()) {
    for (const [level, hash] of result.subtrees) frontier.appendSubtree(level, hash, keep);
    if (result.fault !== null) {
      return { ok: false, size: frontier.size, root: null, firstBadSeq: result.fault.seq, reason: result.fault.reason };
    }
    nodeFault ??= result.nodeFault;
    if (frontier.size < (ranges[i] as [number, number])[1]) {
      // Rows ran out before the range's end (removed meanwhile): the head check names it.
      break;
    }
  }
  if (nodeFault === null && joined.length > 0) {
    const stored = await storedNodes(joined);
    for (const [i, node] of joined.entries()) {
      nodeFault ??= storedNodeFault(node.level, node.index, stored[i], node.hash.toString('hex'));
    }
  }
  if (nodeFault !== null) return { ok: false, size: frontier.size, root: null, firstBadSeq: null, reason: nodeFault };
  return nodesBeyondVerdict(headVerdict(key, ledgerId, frontier, head), nodeBeyond);
}
