import { channel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { headVerdict, type StoredHead } from '../../audit/ledger-chain';
import { MerkleFrontier } from '../../audit/merkle';
import { workerModule } from '../sqlite/worker-module';
import type { LedgerVerification } from '../types';
import type { PostgresVerifyJob, PostgresVerifyMessage } from './postgres-ledger-verify-protocol';

/**
 * Progress of a ledger verify: `{ ledgerId, checked, last }` per page of entries read. Published
 * only when something subscribes (a diagnostics channel costs nothing otherwise).
 */
export const verifyProgress = channel('bulkhead:ledger-verify');

/**
 * Verifies a PostgreSQL ledger off the event loop: one thread with a connection of its own reads
 * the head, the stored nodes and the entries in one snapshot (postgres-ledger-verify-worker.ts)
 * and checks each entry; the verdict on the head is given here, as the in-line verify gives it.
 */
export async function verifyPostgresOffThread(job: PostgresVerifyJob, signedHead: (head: StoredHead | null) => StoredHead | null): Promise<LedgerVerification> {
  const done = await new Promise<Extract<PostgresVerifyMessage, { kind: 'done' }>>((resolve, reject) => {
    const worker = new Worker(workerModule('postgres-ledger-verify-worker', import.meta.url), { workerData: job, execArgv: [] });
    let answered = false;
    worker.on('message', (message: PostgresVerifyMessage) => {
      if (message.kind === 'progress') {
        if (verifyProgress.hasSubscribers) verifyProgress.publish({ ledgerId: job.ledgerId, checked: message.checked, last: message.last });
        return;
      }
      answered = true;
      resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the ledger verify thread stopped (exit ${code}) without an answer`));
    });
  });
  const frontier = new MerkleFrontier();
  for (const [level, hash] of done.subtrees) frontier.appendSubtree(level, hash);
  if (done.fault !== null) return { ok: false, size: frontier.size, root: null, firstBadSeq: done.fault.seq, reason: done.fault.reason };
  if (done.nodeFault !== null) return { ok: false, size: frontier.size, root: null, firstBadSeq: null, reason: done.nodeFault };
  const head = done.head === null ? null : { size: done.head.size, root: Buffer.from(done.head.root), frontier: Buffer.from(done.head.frontier), mac: Buffer.from(done.head.mac) };
  return headVerdict(Buffer.from(job.key), job.ledgerId, frontier, signedHead(head));
}
