import { randomBytes, randomUUID } from 'node:crypto';
import pg, { escapeIdentifier } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultQuotas } from '../../../contracts/tenants';
import { migrateRowPerResult, readRowPerResult, rowPerResultSteps, writeRowPerResult } from '../../../test/helpers/postgres-row-per-result';
import { APP_ROLE, OWNER_ROLE } from '../../../test/helpers/postgres-roles';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import { summarize, testStats } from '../../telemetry/telemetry-analysis';
import type { TelemetryBatchWrite, TelemetryResultRow, TelemetryWindow, TenantRef } from '../types';
import { PostgresStorage, tenantSchema } from './postgres-storage';
import { migratePostgres, migrations } from './schema';

/**
 * The upgrade of #22 on PostgreSQL: a database migrated and written as the row-per-result release
 * did (pooled, siloed and hybrid tenants; batches with results out of order, equal times, times
 * at other precisions, null and fractional latencies; rows from before positions were stored),
 * then `migrate`: every read as the app role answers what the old layout answered, the old table
 * is gone, the chunks keep RLS forced, retried batch ids stay duplicates and new batches store.
 */

const BASE_MS = Date.UTC(2026, 10, 1, 10);
const windows: TelemetryWindow[] = [
  { from: new Date(BASE_MS - 3_600_000).toISOString(), to: new Date(BASE_MS + 5 * 3_600_000).toISOString() },
  { from: new Date(BASE_MS + 1_800_000).toISOString(), to: new Date(BASE_MS + 4_200_000).toISOString() },
  { from: new Date(BASE_MS - 3_600_000).toISOString(), to: new Date(BASE_MS + 5 * 3_600_000).toISOString(), testId: 'test-3' },
];

/** A small deterministic generator, so a failure reproduces. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('the PostgreSQL telemetry upgrade to chunks (#22)', () => {
  let db: TestDatabase;
  let owner: pg.Client;
  const tenants: TenantRef[] = [
    { id: randomUUID(), isolationModel: 'pooled' },
    { id: randomUUID(), isolationModel: 'siloed' },
    { id: randomUUID(), isolationModel: 'hybrid' },
  ];
  const schemaOf = (tenant: TenantRef) => escapeIdentifier(tenant.isolationModel === 'pooled' ? 'bh' : tenantSchema(tenant.id));
  const before = new Map<string, TelemetryResultRow[]>();
  let stored = 0;

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_chunk_upgrade', 'template0');
    owner = new pg.Client({ connectionString: db.url(OWNER_ROLE) });
    await owner.connect();
    await migrateRowPerResult(owner, APP_ROLE);
    const random = numbers(22);
    let odd = 0;
    for (const tenant of tenants) {
      await owner.query(`INSERT INTO bh.tenants (id, slug, name, isolation_model, state, quotas, created_at, updated_at) VALUES ($1, $2, 'Old', $3, 'active', $4, $5, $5)`, [
        tenant.id,
        `old-${tenant.id.slice(0, 8)}`,
        tenant.isolationModel,
        JSON.stringify(defaultQuotas),
        new Date(BASE_MS).toISOString(),
      ]);
      if (tenant.isolationModel !== 'pooled') await owner.query('SELECT bh.create_tenant_schema($1, $2)', [tenant.id, tenant.isolationModel]);
      // Written as the old store wrote them: as a role bound by the policy, in the tenant's context.
      await owner.query('BEGIN');
      await owner.query("SELECT set_config('app.tenant_id', $1, true)", [tenant.id]);
      for (let b = 0; b < 12; b++) {
        const count = 50 + Math.floor(random() * 400);
        const results = Array.from({ length: count }, () => {
          const oddTime = random() < 0.05;
          // Whole seconds over two hours (equal times across batches), or a time sent to the microsecond at a millisecond of its own.
          const ts = oddTime ? new Date(BASE_MS + 3 * 3_600_000 + 3 * ++odd).toISOString().replace('Z', '417Z') : new Date(BASE_MS + Math.floor(random() * 7200) * 1000).toISOString();
          const kind = random();
          const latencyMs = kind < 0.05 ? null : kind < 0.5 ? Math.floor(random() * 900) : kind < 0.8 ? Math.floor(random() * 90_000) / 1000 : random() * 1000;
          return { testId: `test-${Math.floor(random() * 8)}`, ts, latencyMs, ok: random() > 0.1 };
        });
        const batch: TelemetryBatchWrite = {
          tenant,
          batchId: `batch-${String(b).padStart(2, '0')}`,
          agentId: randomUUID(),
          receivedAt: new Date(BASE_MS + b * 60_000).toISOString(),
          testIds: results.map((result) => result.testId),
          ts: results.map((result) => result.ts),
          latencyMs: results.map((result) => result.latencyMs),
          ok: results.map((result) => result.ok),
          flowCount: 0,
          bytes: 1000,
          sealed: randomBytes(32),
        };
        await writeRowPerResult(owner, schemaOf(tenant), batch);
        stored += count;
      }
      // Rows from before positions and batch rows were stored: position 0, no batch row.
      await owner.query(
        `INSERT INTO ${schemaOf(tenant)}.telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id)
         SELECT $1::uuid, 'test-3', to_char(timestamp '2026-11-01 10:00:00.250' + g * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), g * 1.5, g % 4 <> 0, 'ancient' FROM generate_series(1, 30) AS g`,
        [tenant.id],
      );
      stored += 30;
      await owner.query('COMMIT');
      for (const [w, window] of windows.entries()) before.set(`${tenant.id}/${String(w)}`, await readAsOwner(tenant, window));
    }
  });

  /** The old layout's answer, read as its store did (in the tenant's context). */
  async function readAsOwner(tenant: TenantRef, window: TelemetryWindow): Promise<TelemetryResultRow[]> {
    await owner.query('BEGIN');
    await owner.query("SELECT set_config('app.tenant_id', $1, true)", [tenant.id]);
    const rows = await readRowPerResult(owner, schemaOf(tenant), tenant.id, window);
    await owner.query('COMMIT');
    return rows;
  }

  afterAll(async () => {
    await owner.end();
    await db.drop();
  });

  it('migrate moves every result into chunks and drops telemetry_results; the chunks keep RLS forced', async () => {
    expect((before.get(`${tenants[0]?.id ?? ''}/0`) ?? []).length).toBeGreaterThan(500);
    // The chunks' two steps and the steps appended after them.
    expect(await migratePostgres(owner, APP_ROLE)).toBe(migrations(APP_ROLE).length - rowPerResultSteps(APP_ROLE).length);
    const { rows } = await owner.query<{ schema: string; table: string; forced: boolean; enabled: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname = 'bh' OR n.nspname LIKE 'bh\\_t\\_%') AND c.relname IN ('telemetry_results', 'telemetry_chunks') AND c.relkind = 'r' ORDER BY n.nspname`,
    );
    expect(rows).toEqual(
      ['bh', tenantSchema(tenants[1]?.id ?? ''), tenantSchema(tenants[2]?.id ?? '')].sort().map((schema) => ({ schema, table: 'telemetry_chunks', enabled: true, forced: true })),
    );
    // The own schemas' chunks are bound to their tenant, as every other table of theirs.
    const bound = await owner.query<{ schema: string }>(
      `SELECT n.nspname AS schema FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE k.conname = 'bound_to_tenant' AND c.relname = 'telemetry_chunks' ORDER BY n.nspname`,
    );
    expect(bound.rows.map((row) => row.schema)).toEqual([tenantSchema(tenants[1]?.id ?? ''), tenantSchema(tenants[2]?.id ?? '')].sort());
    const superuser = new pg.Client({ connectionString: db.superuserUrl });
    await superuser.connect();
    try {
      let moved = 0;
      for (const tenant of tenants) {
        const counted = await superuser.query<{ n: number }>(`SELECT sum(count)::int AS n FROM ${schemaOf(tenant)}.telemetry_chunks WHERE tenant_id = $1`, [tenant.id]);
        moved += counted.rows[0]?.n ?? 0;
      }
      expect(moved).toBe(stored);
    } finally {
      await superuser.end();
    }
  });

  it('as the app role, every read answers what the old layout answered: pages, analysis rows, summaries; retried batches stay duplicates', async () => {
    const storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 2 });
    try {
      for (const tenant of tenants) {
        for (const [w, window] of windows.entries()) {
          const old = before.get(`${tenant.id}/${String(w)}`) ?? [];
          expect(old.length, `${tenant.isolationModel} window ${String(w)}`).toBeGreaterThan(0);
          expect(await storage.telemetry.resultsForAnalysis(tenant, window, 1_000_000)).toEqual(old);
          const pages: TelemetryResultRow[] = [];
          let cursor: { ts: string; batchId: string; idx: number } | undefined;
          for (;;) {
            const page = await storage.telemetry.results(tenant, window, 500, cursor);
            pages.push(...page);
            const last = page.at(-1);
            if (page.length < 500 || last === undefined) break;
            cursor = { ts: last.ts, batchId: last.batchId, idx: last.idx };
          }
          expect(pages).toEqual([...old].reverse());
          const aggregates = await storage.telemetry.aggregates?.(tenant, window, 1_000_000);
          expect(aggregates?.rows).toBe(old.length);
          expect(aggregates?.tests.map((test) => testStats(test.testId, test.results, test.failures, test.latencies))).toEqual(summarize(old));
        }
        const retried: TelemetryBatchWrite = { tenant, batchId: 'batch-03', agentId: randomUUID(), receivedAt: new Date(BASE_MS).toISOString(), testIds: ['test-1'], ts: [new Date(BASE_MS).toISOString()], latencyMs: [1], ok: [true], flowCount: 0, bytes: 10, sealed: null };
        expect(await storage.telemetry.writeBatches([retried, { ...retried, batchId: 'after-upgrade' }])).toEqual(new Set([`${tenant.id}/batch-03`]));
        expect((await storage.telemetry.results(tenant, { ...windows[0], testId: 'test-1' } as TelemetryWindow, 1_000_000)).filter((row) => row.batchId === 'after-upgrade')).toHaveLength(1);
      }
    } finally {
      await storage.close();
    }
  });
});
