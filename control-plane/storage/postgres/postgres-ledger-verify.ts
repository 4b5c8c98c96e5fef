import { channel } from 'node:diagnostics_channel';
import pg from 'pg';
import type { StoredHead } from '../../audit/ledger-chain';
import type { SubtreeRef } from '../../audit/merkle';
import { firstIndexBeyond, runVerifyThread, verifyInRanges } from '../ledger-ranges';
import { integer } from '../rows/columns';
import { storedHeadFromRow } from '../rows/ledger-rows';
import { workerModule } from '../sqlite/worker-module';
import type { LedgerVerification } from '../types';
import { ownWhere, type PostgresLedgerTables, type PostgresVerifyRange } from './postgres-ledger-verify-protocol';
import type { Queryable } from './tenant-context';

/**
 * Progress of a PostgreSQL ledger verify: `{ ledgerId, checked, last }` as the threads read their
 * pages. Published only when something subscribes (a diagnostics channel costs nothing otherwise).
 */
export const verifyProgress = channel('bulkhead:ledger-verify');

/**
 * Verifies a PostgreSQL ledger off the event loop (see ../ledger-ranges.ts): a coordinating
 * connection opens a REPEATABLE READ read-only transaction, reads the head and the last seq and
 * exports its snapshot; each aligned range is then read and checked on a thread with a connection
 * of its own that imports that snapshot (postgres-ledger-verify-worker.ts). So every read is as of
 * one moment: appends meanwhile are not seen and cannot make entries look removed.
 */
export async function verifyPostgresOffThread(
  connectionString: string,
  key: Buffer,
  ledgerId: string,
  tables: PostgresLedgerTables,
  signedHead: (head: StoredHead | null) => StoredHead | null,
): Promise<LedgerVerification> {
  const coordinator = new pg.Client({ connectionString });
  await coordinator.connect();
  try {
    await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const ownValues = tables.tenant === null ? [] : [tables.tenant];
    if (tables.tenant !== null) await coordinator.query("SELECT set_config('app.tenant_id', $1, true)", ownValues);
    const snapshot = String((await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id);
    const head = storedHeadFromRow((await coordinator.query<Record<string, unknown>>(tables.head, ownValues)).rows[0]);
    const last = integer.parse((await coordinator.query<{ m: unknown }>(`SELECT COALESCE(MAX(seq), 0) AS m FROM ${tables.entries} ${ownWhere(tables)}`, ownValues)).rows[0]?.m);
    const checked = new Map<number, number>();
    const report = (start: number, count: number) => {
      checked.set(start, count);
      if (verifyProgress.hasSubscribers) verifyProgress.publish({ ledgerId, checked: [...checked.values()].reduce((sum, n) => sum + n, 0), last });
    };
    const run = (start: number, end: number, signal: AbortSignal) =>
      runVerifyThread(
        workerModule('postgres-ledger-verify-worker', import.meta.url),
        { ...tables, connectionString, key: new Uint8Array(key), ledgerId, snapshot, start, end, last } satisfies PostgresVerifyRange,
        (count) => report(start, count),
        signal,
      );
    const n = ownValues.length;
    const readNodes = async (nodes: readonly { level: number; index: number }[]) => {
      const { rows } = await coordinator.query<{ level: number; idx: string; hash: string }>(
        `SELECT level, idx, encode(hash, 'hex') AS hash FROM ${tables.nodes} ${ownWhere(tables, [`(level, idx) IN (SELECT * FROM unnest($${n + 1}::smallint[], $${n + 2}::bigint[]))`])}`,
        [...ownValues, nodes.map((node) => node.level), nodes.map((node) => node.index)],
      );
      const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hash]));
      return nodes.map((node) => found.get(`${node.level}/${node.index}`));
    };
    const verdict = await verifyInRanges(key, ledgerId, signedHead(head), last, run, readNodes, (size) => nodeBeyond(coordinator, tables, size));
    await coordinator.query('COMMIT');
    return verdict;
  } catch (error) {
    // A thread failed (or a read did): the snapshot is released now, not left to the session's end.
    await coordinator.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await coordinator.end();
  }
}

/**
 * The lowest (level, index) stored node of the ledger covering entries past the first `size`
 * (verify names it), or null. Two primary-key lookups per level stored (the next level, then its
 * first index past `size`), not a scan of every node (125,000 rows at a million entries).
 */
export async function nodeBeyond(client: Queryable, tables: Pick<PostgresLedgerTables, 'tenant' | 'nodes' | 'own'>, size: number): Promise<SubtreeRef | null> {
  const ownValues = tables.tenant === null ? [] : [tables.tenant];
  const n = ownValues.length;
  const nextLevel = `SELECT level FROM ${tables.nodes} ${ownWhere(tables, [`level > $${n + 1}`])} ORDER BY level LIMIT 1`;
  const firstFrom = `SELECT idx FROM ${tables.nodes} ${ownWhere(tables, [`level = $${n + 1}`, `idx >= $${n + 2}`])} ORDER BY idx LIMIT 1`;
  for (let after = -1; ; ) {
    const next = (await client.query<{ level: unknown }>(nextLevel, [...ownValues, after])).rows[0];
    if (next === undefined) return null;
    const level = integer.parse(next.level);
    const found = (await client.query<{ idx: unknown }>(firstFrom, [...ownValues, level, firstIndexBeyond(size, level)])).rows[0];
    if (found !== undefined) return { level, index: integer.parse(found.idx) };
    after = level;
  }
}
