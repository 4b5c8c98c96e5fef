import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import { SpanCheck } from '../../audit/ledger-range-check';
import { STORED_NODE_LEVEL } from '../ledger';
import type { VerifyRangeResult } from '../sqlite/ledger-verify-protocol';
import { SNAPSHOT_ID, ownWhere, type PostgresVerifyMessage, type PostgresVerifyRange } from './postgres-ledger-verify-protocol';

/** Entries read per statement (by seq: after the last page's bound, up to PAGE more). */
const PAGE = 4_096;

/**
 * One range of a PostgreSQL ledger verified on a thread of its own (see postgres-ledger-verify.ts),
 * on a connection of its own, in a REPEATABLE READ read-only transaction that imports the
 * coordinator's snapshot: every thread reads the ledger as of the same moment, so an append
 * meanwhile is seen by none of them. Entries stream in pages, checked by audit/ledger-range-check.ts
 * with their hashes as hex, and compared with the stored nodes the range completes.
 */
export async function verifyRange(job: PostgresVerifyRange, progress: (checked: number) => void): Promise<VerifyRangeResult> {
  if (!SNAPSHOT_ID.test(job.snapshot)) throw new Error('not a snapshot id');
  const client = new pg.Client({ connectionString: job.connectionString });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${job.snapshot}'`);
    if (job.tenant !== null) await client.query("SELECT set_config('app.tenant_id', $1, true)", [job.tenant]);
    const ownValues = job.tenant === null ? [] : [job.tenant];
    const n = ownValues.length;
    const stored = new Map<string, string>();
    for (let level = STORED_NODE_LEVEL; 2 ** level <= job.end - job.start; level++) {
      const width = 2 ** level;
      const { rows } = await client.query<[string, string]>({
        text: `SELECT idx, encode(hash, 'hex') FROM ${job.nodes} ${ownWhere(job, [`level = $${n + 1}`, `idx >= $${n + 2}`, `idx < $${n + 3}`])}`,
        values: [...ownValues, level, Math.ceil(job.start / width), Math.floor(job.end / width)],
        rowMode: 'array',
      });
      for (const [idx, hash] of rows) stored.set(`${level}/${idx}`, hash);
    }
    const check = new SpanCheck(Buffer.from(job.key), job.ledgerId, job.start, job.end, STORED_NODE_LEVEL, (level, index) => stored.get(`${level}/${index}`));
    // Pages by seq (after, after + PAGE]: the next page's bounds are known before this page is
    // checked, so its statement is sent first and the server reads it while this thread hashes.
    // Read on past the range's end: a range whose last entry is gone names it by the next one.
    const page = `SELECT seq, ts, actor, event_type, details, encode(leaf_hash, 'hex'), encode(mac, 'hex')${job.tenant === null ? ', subject_tenant' : ''}
      FROM ${job.entries} ${ownWhere(job, [`seq > $${n + 1}`, `seq <= $${n + 2}`])} ORDER BY seq`;
    type PageRow = [seq: string, ts: string, actor: string, eventType: string, details: string, leaf: string, mac: string, tenant?: string | null];
    const fetch = (after: number) => {
      const asked = client.query<PageRow>({ text: page, values: [...ownValues, after, Math.min(after + PAGE, job.last)], rowMode: 'array' });
      // Left pending by a failure, it rejects as the connection ends ("Connection terminated"):
      // unhandled, that ended the thread first and hid the failure itself.
      asked.catch(() => undefined);
      return asked;
    };
    let next = job.start < job.last ? fetch(job.start) : null;
    for (let after = job.start; next !== null; ) {
      const { rows } = await next;
      after = Math.min(after + PAGE, job.last);
      next = after < job.last ? fetch(after) : null;
      let more = true;
      for (const [seq, ts, actor, eventType, detailsJson, leafHex, macHex, tenant] of rows) {
        more = check.add({ seq: Number(seq), ts, actor, eventType, tenantId: job.tenant ?? tenant ?? null, detailsJson, leafHex, macHex });
        if (!more) break;
      }
      progress(check.checked);
      if (!more) {
        // Whole, or a fault: the page already asked for is read and dropped.
        await next;
        break;
      }
    }
    await client.query('COMMIT');
    return { subtrees: check.subtrees(), fault: check.fault, nodeFault: check.nodeFault };
  } finally {
    await client.end();
  }
}

if (parentPort !== null) {
  const port = parentPort;
  // A failure rejects unhandled: the thread ends with it, and its 'error' event carries it.
  void verifyRange(workerData as PostgresVerifyRange, (checked) => port.postMessage({ kind: 'progress', checked } satisfies PostgresVerifyMessage)).then((result) =>
    port.postMessage({ kind: 'done', result } satisfies PostgresVerifyMessage),
  );
}
