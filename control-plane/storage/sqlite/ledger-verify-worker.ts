import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { entryFault, type StoredEntry } from '../../audit/ledger-chain';
import { MerkleFrontier } from '../../audit/merkle';
import type { VerifyRange, VerifyRangeResult } from './ledger-verify-protocol';

/**
 * One range of a ledger verified on its own thread (see ledger-verify-thread.ts): entries after
 * leaf index `start` are read in seq order from a read-only connection of its own, in one read
 * transaction, each checked (leaf hash, MAC, no gap) and appended to a frontier of the range; the
 * frontier's subtrees go back, and the thread that joins the ranges computes the root.
 */
export function verifyRange(job: VerifyRange): VerifyRangeResult {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    const key = Buffer.from(job.key);
    // Leaf hash and MAC come as one 64-byte blob: one Buffer per row instead of two (SQLite
    // concatenates the bytes as they are; a row whose pair is not 64 bytes is read apart).
    const rows = db
      .prepare('SELECT seq, ts, actor, event_type, tenant_id, details, CAST(leaf_hash || mac AS BLOB) FROM ledger_entries WHERE ledger_id = ? AND seq > ? AND seq <= ? ORDER BY seq')
      .raw()
      .iterate(job.ledgerId, job.start, job.last) as IterableIterator<[number, string, string, string, string | null, string, Buffer]>;
    const apart = db.prepare('SELECT leaf_hash, mac FROM ledger_entries WHERE ledger_id = ? AND seq = ?').raw();
    const frontier = new MerkleFrontier();
    const out: { leaf: Buffer | null } = { leaf: null };
    const entry: StoredEntry = { seq: 0, ts: '', actor: '', eventType: '', tenantId: null, detailsJson: '', leafHash: Buffer.alloc(0), mac: Buffer.alloc(0) };
    for (const [seq, ts, actor, eventType, tenantId, details, pair] of rows) {
      const expectedSeq = job.start + frontier.size + 1;
      if (expectedSeq > job.end) {
        // The next range's first entry is there: this range is whole.
        break;
      }
      entry.seq = seq;
      entry.ts = ts;
      entry.actor = actor;
      entry.eventType = eventType;
      entry.tenantId = tenantId;
      entry.detailsJson = details;
      if (pair.length === 64) {
        entry.leafHash = pair.subarray(0, 32);
        entry.mac = pair.subarray(32);
      } else {
        [entry.leafHash, entry.mac] = apart.get(job.ledgerId, seq) as [Buffer, Buffer];
      }
      const fault = entryFault(key, job.ledgerId, entry, expectedSeq, out);
      if (fault !== null) {
        return { subtrees: frontier.subtrees(), fault: { seq: seq === expectedSeq ? seq : expectedSeq, reason: fault } };
      }
      frontier.append(out.leaf as Buffer);
    }
    return { subtrees: frontier.subtrees(), fault: null };
  } finally {
    db.close();
  }
}

if (parentPort !== null) parentPort.postMessage(verifyRange(workerData as VerifyRange));
