import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SpanCheck } from '../../audit/ledger-range-check';
import { STORED_NODE_LEVEL } from '../ledger';
import type { VerifyRange, VerifyRangeResult } from './ledger-verify-protocol';

/**
 * One span of a ledger (a thread's share, checked in aligned blocks) verified on its own thread (see ledger-verify-thread.ts): entries after
 * leaf index `start` are read in seq order from a read-only connection of its own, in one read
 * transaction, and checked by audit/ledger-range-check.ts (leaf hash, MAC, no gap, and the stored
 * tree nodes the range completes). The range's subtrees go back; the thread that joins the
 * ranges computes the root.
 */
export function verifyRange(job: VerifyRange): VerifyRangeResult {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => checkRange(db, job))();
  } finally {
    db.close();
  }
}

/** Rows read per statement (by seq bounds): `all()` a page at a time reads 12 to 15% faster than `iterate()`. */
const PAGE = 4_096;

type EntryRow = [number, string, string, string, string | null, string, string, string];

function checkRange(db: Database.Database, job: VerifyRange): VerifyRangeResult {
  const nodes = storedNodes(db, job);
  const check = new SpanCheck(Buffer.from(job.key), job.ledgerId, job.start, job.end, STORED_NODE_LEVEL, (level, index) => nodes.get(level)?.get(index));
  // Hashes read as hex text and compared with hex digests: no Buffer per entry. Read on past the
  // range's end: a range whose last entry is gone names it by the next one.
  const page = db
    .prepare('SELECT seq, ts, actor, event_type, tenant_id, details, lower(hex(leaf_hash)), lower(hex(mac)) FROM ledger_entries WHERE ledger_id = ? AND seq > ? AND seq <= ? ORDER BY seq')
    .raw();
  let more = true;
  for (let after = job.start; more && after < job.last; after = Math.min(after + PAGE, job.last)) {
    for (const [seq, ts, actor, eventType, tenantId, detailsJson, leafHex, macHex] of page.all(job.ledgerId, after, Math.min(after + PAGE, job.last)) as EntryRow[]) {
      more = check.add({ seq, ts, actor, eventType, tenantId, detailsJson, leafHex, macHex });
      if (!more) break;
    }
  }
  return { subtrees: check.subtrees(), fault: check.fault, nodeFault: check.nodeFault };
}

/** The stored nodes a range of `job` completes, as hex by level and index (about one per 8 entries). */
function storedNodes(db: Database.Database, job: VerifyRange): Map<number, Map<number, string>> {
  const read = db.prepare('SELECT idx, lower(hex(hash)) FROM ledger_nodes WHERE ledger_id = ? AND level = ? AND idx >= ? AND idx < ?').raw();
  const byLevel = new Map<number, Map<number, string>>();
  for (let level = STORED_NODE_LEVEL; 2 ** level <= job.end - job.start; level++) {
    const width = 2 ** level;
    byLevel.set(level, new Map(read.all(job.ledgerId, level, Math.ceil(job.start / width), Math.floor(job.end / width)) as [number, string][]));
  }
  return byLevel;
}

if (parentPort !== null) parentPort.postMessage({ kind: 'done', result: verifyRange(workerData as VerifyRange) });
