import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import { RangeCheck } from '../../audit/ledger-range-check';
import { STORED_NODE_LEVEL } from '../ledger';
import { integer } from '../rows/columns';
import { storedHeadFromRow } from '../rows/ledger-rows';
import type { PostgresVerifyJob, PostgresVerifyMessage } from './postgres-ledger-verify-protocol';

/** Entries read per statement (by seq: after the last page's bound, up to PAGE more). */
const PAGE = 4_096;

/**
 * A PostgreSQL ledger verified on a thread of its own (see postgres-ledger-verify.ts), on a
 * connection of its own, in one REPEATABLE READ read-only transaction: the head, the stored nodes
 * and every entry come from one snapshot, so an append meanwhile can neither be half seen nor make
 * the entries look removed. Entries stream in pages with their hashes as hex (audit/ledger-range-check.ts).
 */
export async function verifyLedger(job: PostgresVerifyJob, progress: (checked: number, last: number) => void): Promise<Extract<PostgresVerifyMessage, { kind: 'done' }>> {
  const client = new pg.Client({ connectionString: job.connectionString });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (job.tenant !== null) await client.query("SELECT set_config('app.tenant_id', $1, true)", [job.tenant]);
    const own = job.own === null ? [] : [job.own];
    const ownValues = job.tenant === null ? [] : [job.tenant];
    const where = (more: string[]) => (own.length + more.length > 0 ? `WHERE ${[...own, ...more].join(' AND ')}` : '');
    // The first statement takes the snapshot: everything after reads as of it.
    const head = storedHeadFromRow((await client.query<Record<string, unknown>>(job.head, ownValues)).rows[0]);
    const last = integer.parse((await client.query<Record<string, unknown>>(`SELECT COALESCE(MAX(seq), 0) AS m FROM ${job.entries} ${where([])}`, ownValues)).rows[0]?.m);
    const stored = new Map<string, string>();
    const nodeRows = await client.query<{ level: number; idx: string; hash: string }>(`SELECT level, idx, encode(hash, 'hex') AS hash FROM ${job.nodes} ${where([])}`, ownValues);
    for (const row of nodeRows.rows) stored.set(`${row.level}/${row.idx}`, row.hash);
    const check = new RangeCheck(Buffer.from(job.key), job.ledgerId, 0, last, STORED_NODE_LEVEL, (level, index) => stored.get(`${level}/${index}`));
    const n = ownValues.length;
    // Pages by seq (after, after + PAGE]: the next page's bounds are known before this page is
    // checked, so its statement is sent first and the server reads it while this thread hashes.
    const page = `SELECT seq, ts, actor, event_type, details, encode(leaf_hash, 'hex'), encode(mac, 'hex')${job.tenant === null ? ', subject_tenant' : ''}
      FROM ${job.entries} ${where([`seq > $${n + 1}`, `seq <= $${n + 2}`])} ORDER BY seq`;
    type PageRow = [seq: string, ts: string, actor: string, eventType: string, details: string, leaf: string, mac: string, tenant?: string | null];
    const fetch = (after: number) => client.query<PageRow>({ text: page, values: [...ownValues, after, Math.min(after + PAGE, last)], rowMode: 'array' });
    let next = last > 0 ? fetch(0) : null;
    for (let after = 0; next !== null; ) {
      const { rows } = await next;
      after = Math.min(after + PAGE, last);
      next = after < last ? fetch(after) : null;
      let more = true;
      for (const [seq, ts, actor, eventType, detailsJson, leafHex, macHex, tenant] of rows) {
        more = check.add({ seq: Number(seq), ts, actor, eventType, tenantId: job.tenant ?? tenant ?? null, detailsJson, leafHex, macHex });
        if (!more) break;
      }
      progress(check.frontier.size, last);
      if (!more) {
        // Whole, or a fault: the page already asked for is read and dropped.
        await next;
        break;
      }
    }
    await client.query('COMMIT');
    return { kind: 'done', subtrees: check.subtrees(), fault: check.fault, nodeFault: check.nodeFault, head };
  } finally {
    await client.end();
  }
}

if (parentPort !== null) {
  const port = parentPort;
  // A failure rejects unhandled: the thread ends with it, and its 'error' event carries it.
  void verifyLedger(workerData as PostgresVerifyJob, (checked, last) => port.postMessage({ kind: 'progress', checked, last } satisfies PostgresVerifyMessage)).then((done) => port.postMessage(done));
}
