import Database from 'better-sqlite3';
import type { StoredHead } from '../../audit/ledger-chain';
import type { SubtreeRef } from '../../audit/merkle';
import { firstIndexBeyond, runVerifyThread, verifyInRanges } from '../ledger-ranges';
import type { LedgerVerification } from '../types';
import type { VerifyRange } from './ledger-verify-protocol';
import { workerModule } from './worker-module';

/**
 * Verifies a SQLite ledger off the event loop (see ../ledger-ranges.ts): each aligned range is
 * streamed and checked on a thread of its own with its own read-only connection
 * (ledger-verify-worker.ts). `head`, `last` and `beyond` (a stored node past the head's size, see
 * nodeBeyond) are read together before, so appends meanwhile are not seen.
 */
export function verifyOffThread(file: string, key: Buffer, ledgerId: string, head: StoredHead | null, last: number, beyond: SubtreeRef | null): Promise<LedgerVerification> {
  const run = (start: number, end: number, signal: AbortSignal) => runVerifyThread(workerModule('ledger-verify-worker'), { file, key: new Uint8Array(key), ledgerId, start, end, last } satisfies VerifyRange, undefined, signal);
  return verifyInRanges(
    key,
    ledgerId,
    head,
    last,
    run,
    (nodes) => {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const read = db.prepare('SELECT lower(hex(hash)) FROM ledger_nodes WHERE ledger_id = ? AND level = ? AND idx = ?').pluck();
        return Promise.resolve(nodes.map((node) => read.get(ledgerId, node.level, node.index) as string | undefined));
      } finally {
        db.close();
      }
    },
    // Read with the head: a verdict that passed has the head's size.
    () => Promise.resolve(beyond),
  );
}

/**
 * The lowest (level, index) stored node of the ledger covering entries past the first `size`
 * (verify names it), or null. Two primary-key lookups per level stored (the next level, then its
 * first index past `size`), not a scan of every node (125,000 rows at a million entries).
 */
export function nodeBeyond(db: Database.Database, ledgerId: string, size: number): SubtreeRef | null {
  const nextLevel = db.prepare('SELECT level FROM ledger_nodes WHERE ledger_id = ? AND level > ? ORDER BY level LIMIT 1').pluck();
  const firstFrom = db.prepare('SELECT idx FROM ledger_nodes WHERE ledger_id = ? AND level = ? AND idx >= ? ORDER BY idx LIMIT 1').pluck();
  for (let level = nextLevel.get(ledgerId, -1) as number | undefined; level !== undefined; level = nextLevel.get(ledgerId, level) as number | undefined) {
    const index = firstFrom.get(ledgerId, level, firstIndexBeyond(size, level)) as number | undefined;
    if (index !== undefined) return { level, index };
  }
  return null;
}
