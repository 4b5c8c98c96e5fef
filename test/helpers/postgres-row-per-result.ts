// The row-per-result telemetry layout PostgreSQL used before chunks (issue #22): a database
// migrated with the released steps before the chunks step, its writes (as PostgresTelemetry wrote
// a batch) and its reads (as it read them). The upgrade test builds old databases with it.
import type pg from 'pg';
import { migrations } from '../../control-plane/storage/postgres/schema';
import { RESULT_COLUMNS, span, toResult, type ResultRow } from '../../control-plane/storage/rows/telemetry-rows';
import type { TelemetryBatchWrite, TelemetryResultRow, TelemetryWindow } from '../../control-plane/storage/types';

type Client = Pick<pg.ClientBase, 'query'>;

/** The steps released before the chunks (#22), in order. */
export function rowPerResultSteps(appRole: string): string[] {
  const steps = migrations(appRole);
  const chunks = steps.findIndex((step) => typeof step === 'string' && step.includes('bh.create_chunk_tables(target_schema text'));
  if (chunks <= 0) throw new Error('no chunks step');
  return steps.slice(0, chunks).map((step) => {
    if (typeof step !== 'string') throw new Error('a released step is SQL');
    return step;
  });
}

/** Migrates an empty database (as the owner) as `migrate` did before the chunks. */
export async function migrateRowPerResult(owner: Client, appRole: string): Promise<void> {
  await owner.query('CREATE SCHEMA IF NOT EXISTS bh');
  await owner.query('CREATE TABLE bh.schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
  for (const [index, step] of rowPerResultSteps(appRole).entries()) {
    await owner.query(step);
    await owner.query('INSERT INTO bh.schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, '2026-11-01T00:00:00.000Z']);
  }
}

/** Writes one batch as the row-per-result store did (in a transaction in the tenant's context). */
export async function writeRowPerResult(client: Client, schema: string, batch: TelemetryBatchWrite): Promise<void> {
  const count = batch.testIds.length;
  const { first, last } = span(batch.ts);
  await client.query(
    `INSERT INTO ${schema}.telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [batch.tenant.id, batch.batchId, batch.agentId, batch.receivedAt, first, last, count, batch.flowCount, batch.bytes, batch.sealed],
  );
  await client.query(
    `INSERT INTO ${schema}.telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id, idx)
     SELECT $1::uuid, r.test_id, r.ts, r.latency_ms, r.ok, $2, r.idx FROM unnest($3::text[], $4::text[], $5::float8[], $6::bool[], $7::int[]) AS r(test_id, ts, latency_ms, ok, idx)`,
    [batch.tenant.id, batch.batchId, batch.testIds, batch.ts, batch.latencyMs, batch.ok, Array.from({ length: count }, (_, i) => i)],
  );
}

/** Every result of the window, oldest first, as the row-per-result store read them. */
export async function readRowPerResult(client: Client, schema: string, tenantId: string, window: TelemetryWindow): Promise<TelemetryResultRow[]> {
  const byTest = window.testId === undefined ? '' : ' AND test_id = $4';
  const values: unknown[] = [tenantId, window.from, window.to];
  if (window.testId !== undefined) values.push(window.testId);
  const { rows } = await client.query<ResultRow>(`SELECT ${RESULT_COLUMNS} FROM ${schema}.telemetry_results WHERE tenant_id = $1 AND ts >= $2 AND ts <= $3${byTest} ORDER BY ts, batch_id, idx`, values);
  return rows.map(toResult);
}
