import { escapeIdentifier } from 'pg';
import { chunksOf } from '../telemetry-chunk-split';
import { insertChunks } from './postgres-chunks';
import type { Queryable } from './tenant-context';

/**
 * The migration step's function that moves row-per-result telemetry (`telemetry_results`, in bh
 * and every own schema) into chunks, batch by batch, then drops the old table (run by `control-plane
 * migrate` as the owner, in the migration's transaction: a failure leaves the old layout whole).
 * The owner is bound by the forced policies too, so both tables have FORCE lifted while it moves
 * them, and the chunks' is restored (the old table goes). Rows from before positions were stored
 * (idx 0) move as they are, grouped by their batch id, as SQLite's upgrade does.
 */

interface LegacyRow {
  tenant_id: string;
  batch_id: string;
  test_id: string;
  ts: string;
  latency_ms: number | null;
  ok: boolean;
  idx: number;
}

/** Rows read from the old table per fetch: batches are at most a few thousand results. */
const FETCH_ROWS = 20_000;

async function moveSchema(client: Queryable, schema: string): Promise<number> {
  await client.query(`ALTER TABLE ${schema}.telemetry_results NO FORCE ROW LEVEL SECURITY`);
  await client.query(`ALTER TABLE ${schema}.telemetry_chunks NO FORCE ROW LEVEL SECURITY`);
  await client.query(
    `DECLARE legacy_results NO SCROLL CURSOR FOR
       SELECT tenant_id::text AS tenant_id, batch_id, test_id, ts, latency_ms, ok, idx FROM ${schema}.telemetry_results ORDER BY tenant_id, batch_id, idx, ctid`,
  );
  let moved = 0;
  let group: LegacyRow[] = [];
  const flush = async () => {
    const first = group[0];
    if (first === undefined) return;
    const chunks = chunksOf(
      group.map((row) => row.test_id),
      group.map((row) => row.ts),
      Float64Array.from(group, (row) => row.latency_ms ?? Number.NaN),
      Uint8Array.from(group, (row) => (row.ok ? 1 : 0)),
      Int32Array.from(group, (row) => row.idx),
    );
    await insertChunks(client, schema, first.tenant_id, first.batch_id, chunks);
    moved += group.length;
    group = [];
  };
  for (;;) {
    const { rows } = await client.query<LegacyRow>(`FETCH ${FETCH_ROWS} FROM legacy_results`);
    for (const row of rows) {
      const first = group[0];
      if (first !== undefined && (first.tenant_id !== row.tenant_id || first.batch_id !== row.batch_id)) await flush();
      group.push(row);
    }
    if (rows.length < FETCH_ROWS) break;
  }
  await flush();
  await client.query('CLOSE legacy_results');
  await client.query(`ALTER TABLE ${schema}.telemetry_chunks FORCE ROW LEVEL SECURITY`);
  await client.query(`DROP TABLE ${schema}.telemetry_results`);
  return moved;
}

/** Moves every schema's telemetry_results into its telemetry_chunks; answers the results moved. */
export async function moveResultsToChunks(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_catalog.pg_namespace n
      WHERE (n.nspname = 'bh' OR n.nspname LIKE 'bh\\_t\\_%')
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'telemetry_results' AND c.relkind = 'r')
      ORDER BY n.nspname`,
  );
  let moved = 0;
  for (const { schema } of rows) moved += await moveSchema(client, escapeIdentifier(schema));
  return moved;
}
