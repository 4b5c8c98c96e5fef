import Database from 'better-sqlite3';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { headVerdict, storedNodeFault, type StoredHead } from '../../audit/ledger-chain';
import { MerkleFrontier } from '../../audit/merkle';
import { STORED_NODE_LEVEL, type StoredNode } from '../ledger';
import type { LedgerVerification } from '../types';
import type { VerifyRange, VerifyRangeResult } from './ledger-verify-protocol';
import { workerModule } from './worker-module';

/** At most this many threads verify one ledger (the machine's cores permitting). */
const MAX_THREADS = 4;
/** Ranges are never smaller: a thread costs a few milliseconds to start. */
const MIN_RANGE = 2 ** 15;

function runRange(job: VerifyRange): Promise<VerifyRangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerModule('ledger-verify-worker'), { workerData: job, execArgv: [] });
    let answered = false;
    worker.once('message', (result: VerifyRangeResult) => {
      answered = true;
      resolve(result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the ledger verify thread stopped (exit ${code}) without an answer`));
    });
  });
}

/**
 * Verifies a SQLite ledger off the event loop: entries 1..last are split into aligned ranges
 * (a power of two long, so each range's frontier joins the previous ones as whole subtrees), each
 * streamed and checked on a thread of its own with its own read-only connection; the ranges are
 * joined in order, and the first fault in seq order is the answer, as the in-line verify names it;
 * then the first stored tree node that differs from the recomputed tree; then the signed head.
 * `head` and `last` are read together before, so appends meanwhile are not seen.
 */
export async function verifyOffThread(file: string, key: Buffer, ledgerId: string, head: StoredHead | null, last: number): Promise<LedgerVerification> {
  const threads = Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
  let width = MIN_RANGE;
  while (width * threads < last) width *= 2;
  const jobs: VerifyRange[] = [];
  for (let start = 0; start < last; start += width) {
    jobs.push({ file, key: new Uint8Array(key), ledgerId, start, end: Math.min(start + width, last), last });
  }
  const results = await Promise.all(jobs.map(runRange));
  const frontier = new MerkleFrontier();
  // Stored nodes above a range's width are completed here, as the ranges join.
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
    const job = jobs[i] as VerifyRange;
    if (frontier.size < job.end) {
      // Rows ran out before the range's end (removed meanwhile): the head check names it.
      break;
    }
  }
  nodeFault ??= joinedNodeFault(file, ledgerId, joined);
  if (nodeFault !== null) return { ok: false, size: frontier.size, root: null, firstBadSeq: null, reason: nodeFault };
  return headVerdict(key, ledgerId, frontier, head);
}

/** The first of `nodes` (recomputed) that the store holds otherwise, or null. A few reads. */
function joinedNodeFault(file: string, ledgerId: string, nodes: readonly StoredNode[]): string | null {
  if (nodes.length === 0) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const read = db.prepare('SELECT lower(hex(hash)) FROM ledger_nodes WHERE ledger_id = ? AND level = ? AND idx = ?').pluck();
    for (const node of nodes) {
      const fault = storedNodeFault(node.level, node.index, read.get(ledgerId, node.level, node.index) as string | undefined, node.hash.toString('hex'));
      if (fault !== null) return fault;
    }
    return null;
  } finally {
    db.close();
  }
}
