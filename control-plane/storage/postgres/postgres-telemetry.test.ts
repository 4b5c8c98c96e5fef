import { randomBytes, randomUUID } from 'node:crypto';
import pg, { escapeIdentifier } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultQuotas, type IsolationModel } from '../../../contracts/tenants';
import { APP_ROLE, OWNER_ROLE } from '../../../test/helpers/postgres-roles';
import type { TelemetryBatchWrite, TelemetryResultRow, TenantRecord, TenantRef } from '../types';
import { PostgresStorage, tenantSchema } from './postgres-storage';
import { migratePostgres, migrations } from './schema';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';

/**
 * The telemetry store on PostgreSQL, as the app role: batches of pooled, siloed and hybrid tenants
 * in one call, each in the schema its model puts it in; duplicate batch ids; paging; usage meters;
 * no tenant's reads return another's rows. Then migration step 3 on a database that has own schemas.
 */

const at = '2030-05-01T12:00:00.000Z';
const DAY = at.slice(0, 10);

interface ResultInput {
  testId: string;
  ts: string;
  latencyMs?: number | null;
  ok?: boolean;
}

function batchOf(tenant: TenantRef, batchId: string, results: ResultInput[], extra: Partial<Pick<TelemetryBatchWrite, 'flowCount' | 'bytes' | 'receivedAt' | 'sealed' | 'agentId'>> = {}): TelemetryBatchWrite {
  return {
    tenant,
    batchId,
    agentId: extra.agentId ?? randomUUID(),
    receivedAt: extra.receivedAt ?? at,
    testIds: results.map((result) => result.testId),
    ts: results.map((result) => result.ts),
    latencyMs: results.map((result) => (result.latencyMs === undefined ? 10 : result.latencyMs)),
    ok: results.map((result) => result.ok ?? true),
    flowCount: extra.flowCount ?? 0,
    bytes: extra.bytes ?? 100,
    sealed: extra.sealed === undefined ? randomBytes(48) : extra.sealed,
  };
}

/** `count` results of one test, one second apart, starting at `start` (seconds after 12:00:00). */
function series(testId: string, count: number, start = 0): ResultInput[] {
  return Array.from({ length: count }, (_, i) => ({ testId, ts: new Date(Date.parse(at) + (start + i) * 1000).toISOString(), latencyMs: 5 + i, ok: i % 3 !== 0 }));
}

function tenantRecord(id: string, model: IsolationModel, fairness: TenantRecord['fairness'] = null): TenantRecord {
  return {
    id,
    slug: `t-${id.slice(0, 8)}`,
    name: `Tenant ${model}`,
    isolationModel: model,
    residency: null,
    plan: null,
    contactEmail: null,
    state: 'active',
    quotas: defaultQuotas,
    fairness,
    createdAt: at,
    updatedAt: at,
    handedOverAt: null,
  };
}

const window = { from: '2030-05-01T00:00:00.000Z', to: '2030-05-01T23:59:59.999Z' };
const key = (row: TelemetryResultRow) => `${row.ts}|${row.batchId}|${String(row.idx)}`;

describe('PostgreSQL telemetry store', () => {
  let db: TestDatabase;
  let storage: PostgresStorage;
  let superuser: pg.Pool;
  const pooledA: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
  const pooledB: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
  const siloed: TenantRef = { id: randomUUID(), isolationModel: 'siloed' };
  const hybrid: TenantRef = { id: randomUUID(), isolationModel: 'hybrid' };
  const all = [pooledA, pooledB, siloed, hybrid];

  /** Rows of `table` per schema for a tenant (results, of telemetry_chunks), read around RLS (as the superuser). */
  async function rowsBySchema(table: string, tenantId: string): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    const counted = table === 'telemetry_chunks' ? 'COALESCE(sum(count), 0)::int' : 'count(*)::int';
    for (const schema of ['bh', tenantSchema(siloed.id), tenantSchema(hybrid.id)]) {
      const { rows } = await superuser.query<{ n: number }>(`SELECT ${counted} AS n FROM ${escapeIdentifier(schema)}.${escapeIdentifier(table)} WHERE tenant_id = $1`, [tenantId]);
      const n = rows[0]?.n ?? 0;
      if (n > 0) found[schema] = n;
    }
    return found;
  }

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_telemetry');
    superuser = new pg.Pool({ connectionString: db.superuserUrl, max: 2 });
    storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 4 });
    for (const tenant of all) {
      await storage.createTenantStores(tenant.id, tenant.isolationModel);
      await storage.transaction((tx) => tx.insertTenant(tenantRecord(tenant.id, tenant.isolationModel), randomBytes(40)));
    }
  });

  afterAll(async () => {
    await storage.close();
    await superuser.end();
    await db.drop();
  });

  it('stores batches of pooled, siloed and hybrid tenants in one call, each in its schema (bh when pooled, its own otherwise)', async () => {
    const sealed = randomBytes(64);
    const agentId = randomUUID();
    const duplicates = await storage.telemetry.writeBatches([
      batchOf(pooledA, 'place-1', series('test-a', 3), { sealed, agentId, flowCount: 2 }),
      batchOf(siloed, 'place-1', series('test-s', 2)),
      batchOf(pooledB, 'place-1', series('test-b', 4)),
      batchOf(hybrid, 'place-1', series('test-h', 5)),
    ]);
    expect(duplicates).toEqual(new Set());

    const silo = tenantSchema(siloed.id);
    const own = tenantSchema(hybrid.id);
    expect(await rowsBySchema('telemetry_chunks', pooledA.id)).toEqual({ bh: 3 });
    expect(await rowsBySchema('telemetry_chunks', pooledB.id)).toEqual({ bh: 4 });
    expect(await rowsBySchema('telemetry_chunks', siloed.id)).toEqual({ [silo]: 2 });
    expect(await rowsBySchema('telemetry_chunks', hybrid.id)).toEqual({ [own]: 5 });
    for (const [tenant, schema] of [
      [pooledA, 'bh'],
      [siloed, silo],
      [hybrid, own],
    ] as const) {
      expect(await rowsBySchema('telemetry_batches', tenant.id)).toEqual({ [schema]: 1 });
      expect(Object.keys(await rowsBySchema('usage_counters', tenant.id))).toEqual([schema]);
    }

    const stored = await storage.telemetry.batch(pooledA, 'place-1');
    expect(stored).toEqual({
      batchId: 'place-1',
      agentId,
      receivedAt: at,
      firstTs: '2030-05-01T12:00:00.000Z',
      lastTs: '2030-05-01T12:00:02.000Z',
      resultCount: 3,
      flowCount: 2,
      sealed,
    });
    expect(await storage.telemetry.batch(pooledA, 'no-such-batch')).toBeNull();
    const results = await storage.telemetry.results(pooledA, window, 10);
    expect(results).toEqual([
      { testId: 'test-a', ts: '2030-05-01T12:00:02.000Z', latencyMs: 7, ok: true, batchId: 'place-1', idx: 2 },
      { testId: 'test-a', ts: '2030-05-01T12:00:01.000Z', latencyMs: 6, ok: true, batchId: 'place-1', idx: 1 },
      { testId: 'test-a', ts: '2030-05-01T12:00:00.000Z', latencyMs: 5, ok: false, batchId: 'place-1', idx: 0 },
    ]);
  });

  it('keeps a null latency and an empty batch (no results, no sealed details)', async () => {
    const tenant = hybrid;
    expect(await storage.telemetry.writeBatches([batchOf(tenant, 'nulls', [{ testId: 'test-n', ts: '2030-05-02T00:00:00.000Z', latencyMs: null, ok: false }]), batchOf(tenant, 'empty', [], { sealed: null })])).toEqual(new Set());
    expect(await storage.telemetry.results(tenant, { from: '2030-05-02T00:00:00.000Z', to: '2030-05-02T23:59:59.999Z' }, 10)).toEqual([
      { testId: 'test-n', ts: '2030-05-02T00:00:00.000Z', latencyMs: null, ok: false, batchId: 'nulls', idx: 0 },
    ]);
    expect(await storage.telemetry.batch(tenant, 'empty')).toEqual({ batchId: 'empty', agentId: expect.any(String) as string, receivedAt: at, firstTs: null, lastTs: null, resultCount: 0, flowCount: 0, sealed: null });
  });

  it("reports a batch id the tenant already stored as a duplicate and writes nothing of it; another tenant's same id is no duplicate", async () => {
    const tenant = siloed;
    const before = await storage.telemetry.usage(tenant, DAY, DAY);
    const duplicates = await storage.telemetry.writeBatches([
      // A retry of place-1 with other content, the same new batch twice in one call, and B's own batch.
      batchOf(tenant, 'place-1', series('test-other', 7), { bytes: 9999 }),
      batchOf(tenant, 'dup-2', series('test-s', 1, 100)),
      batchOf(tenant, 'dup-2', series('test-s', 3, 200)),
      batchOf(pooledB, 'dup-2', series('test-b', 1, 300)),
    ]);
    expect(duplicates).toEqual(new Set([`${tenant.id}/place-1`, `${tenant.id}/dup-2`]));
    // place-1 keeps its two results; dup-2 holds the first batch given (one result at +100 s).
    expect(await rowsBySchema('telemetry_chunks', tenant.id)).toEqual({ [tenantSchema(tenant.id)]: 3 });
    expect((await storage.telemetry.results(tenant, { ...window, testId: 'test-other' }, 10)).length).toBe(0);
    expect(await storage.telemetry.batch(tenant, 'dup-2')).toMatchObject({ resultCount: 1, firstTs: '2030-05-01T12:01:40.000Z' });
    expect(await storage.telemetry.batch(pooledB, 'dup-2')).toMatchObject({ resultCount: 1 });
    // Usage counts only what was stored: one result and 100 bytes more.
    const after = await storage.telemetry.usage(tenant, DAY, DAY);
    const value = (rows: typeof after, meter: string) => rows.find((row) => row.meter === meter)?.value ?? 0;
    expect(value(after, 'results_ingested') - value(before, 'results_ingested')).toBe(1);
    expect(value(after, 'ingest_bytes') - value(before, 'ingest_bytes')).toBe(100);
  });

  it('pages results newest first with the (ts, batch, idx) cursor, equal timestamps included, and filters by test', async () => {
    const tenant: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const ts = '2030-05-03T08:00:00.000Z';
    const same = (testId: string, n: number) => Array.from({ length: n }, () => ({ testId, ts }));
    await storage.telemetry.writeBatches([
      batchOf(tenant, 'p-a', [...same('t1', 3), ...series('t2', 2)]),
      batchOf(tenant, 'p-b', same('t1', 2)),
      batchOf(tenant, 'p-c', [{ testId: 't2', ts: '2030-05-03T09:00:00.000Z' }, ...same('t2', 1)]),
    ]);
    const day = { from: '2030-05-03T00:00:00.000Z', to: '2030-05-03T23:59:59.999Z' };
    const full = await storage.telemetry.results(tenant, day, 100);
    expect(full.map(key)).toEqual([
      '2030-05-03T09:00:00.000Z|p-c|0',
      '2030-05-03T08:00:00.000Z|p-c|1',
      '2030-05-03T08:00:00.000Z|p-b|1',
      '2030-05-03T08:00:00.000Z|p-b|0',
      '2030-05-03T08:00:00.000Z|p-a|2',
      '2030-05-03T08:00:00.000Z|p-a|1',
      '2030-05-03T08:00:00.000Z|p-a|0',
    ]);

    const paged: TelemetryResultRow[] = [];
    let cursor: { ts: string; batchId: string; idx: number } | undefined;
    for (;;) {
      const page = await storage.telemetry.results(tenant, day, 2, cursor);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...page);
      const last = page[page.length - 1];
      if (last === undefined) break;
      cursor = { ts: last.ts, batchId: last.batchId, idx: last.idx };
    }
    expect(paged.map(key)).toEqual(full.map(key));

    const t1 = await storage.telemetry.results(tenant, { ...day, testId: 't1' }, 100);
    expect(t1.map(key)).toEqual(full.filter((row) => row.testId === 't1').map(key));
    expect(await storage.telemetry.results(tenant, { from: '2030-05-03T08:30:00.000Z', to: day.to }, 100)).toHaveLength(1);

    const oldest = await storage.telemetry.resultsForAnalysis(tenant, day, 3);
    expect(oldest.map(key)).toEqual(['2030-05-03T08:00:00.000Z|p-a|0', '2030-05-03T08:00:00.000Z|p-a|1', '2030-05-03T08:00:00.000Z|p-a|2']);
    expect((await storage.telemetry.resultsForAnalysis(tenant, { ...day, testId: 't2' }, 100)).map(key)).toEqual(['2030-05-03T08:00:00.000Z|p-c|1', '2030-05-03T09:00:00.000Z|p-c|0']);
  });

  it('lists batches with flow events newest first by receipt, paged by (receivedAt, batchId)', async () => {
    const tenant: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const received = (minute: number) => `2030-05-04T10:${String(minute).padStart(2, '0')}:00.000Z`;
    await storage.telemetry.writeBatches([
      batchOf(tenant, 'f-1', series('t', 1), { flowCount: 3, receivedAt: received(1) }),
      batchOf(tenant, 'f-2', series('t', 1), { flowCount: 0, receivedAt: received(2) }),
      batchOf(tenant, 'f-3', series('t', 1), { flowCount: 1, receivedAt: received(3) }),
      batchOf(tenant, 'f-4', series('t', 1), { flowCount: 5, receivedAt: received(3) }),
      batchOf(tenant, 'f-5', series('t', 1), { flowCount: 2, receivedAt: '2030-05-05T10:00:00.000Z' }),
    ]);
    const day = { from: '2030-05-04T00:00:00.000Z', to: '2030-05-04T23:59:59.999Z' };
    const all = await storage.telemetry.flowBatches(tenant, day, 10);
    expect(all.map((batch) => batch.batchId)).toEqual(['f-4', 'f-3', 'f-1']);
    expect(all.map((batch) => batch.flowCount)).toEqual([5, 1, 3]);
    const first = await storage.telemetry.flowBatches(tenant, day, 1);
    expect(first.map((batch) => batch.batchId)).toEqual(['f-4']);
    const rest = await storage.telemetry.flowBatches(tenant, day, 10, { receivedAt: received(3), batchId: 'f-4' });
    expect(rest.map((batch) => batch.batchId)).toEqual(['f-3', 'f-1']);
  });

  it('sums usage meters per UTC day over batches and addUsage, as numbers', async () => {
    const tenant: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    await storage.telemetry.writeBatches([
      batchOf(tenant, 'u-1', series('t', 3), { bytes: 1000, flowCount: 4, receivedAt: '2030-05-06T01:00:00.000Z' }),
      batchOf(tenant, 'u-2', series('t', 2), { bytes: 500, receivedAt: '2030-05-06T23:00:00.000Z' }),
      batchOf(tenant, 'u-3', [], { bytes: 50, receivedAt: '2030-05-07T00:00:00.000Z' }),
    ]);
    await storage.telemetry.writeBatches([batchOf(tenant, 'u-4', series('t', 1), { bytes: 5_000_000_000, receivedAt: '2030-05-07T02:00:00.000Z' })]);
    await storage.telemetry.addUsage(tenant, 'ai_calls', 2, '2030-05-06T12:00:00.000Z');
    await storage.telemetry.addUsage(tenant, 'ai_calls', 3, '2030-05-06T13:00:00.000Z');
    expect(await storage.telemetry.usage(tenant, '2030-05-06', '2030-05-07')).toEqual([
      { day: '2030-05-06', meter: 'ai_calls', value: 5 },
      { day: '2030-05-06', meter: 'flow_events', value: 4 },
      { day: '2030-05-06', meter: 'ingest_bytes', value: 1500 },
      { day: '2030-05-06', meter: 'results_ingested', value: 5 },
      { day: '2030-05-07', meter: 'ingest_bytes', value: 5_000_000_050 },
      { day: '2030-05-07', meter: 'results_ingested', value: 1 },
    ]);
    expect(await storage.telemetry.usage(tenant, '2030-05-07', '2030-05-07')).toHaveLength(2);
  });

  it("never returns another tenant's rows: same batch ids and test ids, in the shared schema and in own schemas", async () => {
    const a: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const b: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const shared = { from: '2030-05-08T00:00:00.000Z', to: '2030-05-08T23:59:59.999Z' };
    const on = (testId: string, n: number) => Array.from({ length: n }, (_, i) => ({ testId, ts: `2030-05-08T10:00:0${String(i)}.000Z` }));
    const sealedA = randomBytes(16);
    const sealedB = randomBytes(16);
    await storage.telemetry.writeBatches([
      batchOf(a, 'shared-id', on('same-test', 2), { flowCount: 1, sealed: sealedA, receivedAt: '2030-05-08T11:00:00.000Z', bytes: 11 }),
      batchOf(b, 'shared-id', on('same-test', 5), { flowCount: 9, sealed: sealedB, receivedAt: '2030-05-08T11:00:00.000Z', bytes: 22 }),
      batchOf(b, 'only-b', on('same-test', 1), { flowCount: 1, receivedAt: '2030-05-08T12:00:00.000Z' }),
    ]);
    expect(await storage.telemetry.results(a, shared, 100)).toHaveLength(2);
    expect(await storage.telemetry.results(a, { ...shared, testId: 'same-test' }, 100)).toHaveLength(2);
    expect(await storage.telemetry.resultsForAnalysis(a, shared, 100)).toHaveLength(2);
    expect((await storage.telemetry.batch(a, 'shared-id'))?.sealed).toEqual(sealedA);
    expect(await storage.telemetry.batch(a, 'only-b')).toBeNull();
    expect((await storage.telemetry.flowBatches(a, shared, 10)).map((batch) => batch.flowCount)).toEqual([1]);
    expect(await storage.telemetry.usage(a, '2030-05-08', '2030-05-08')).toEqual([
      { day: '2030-05-08', meter: 'flow_events', value: 1 },
      { day: '2030-05-08', meter: 'ingest_bytes', value: 11 },
      { day: '2030-05-08', meter: 'results_ingested', value: 2 },
    ]);
    expect(await storage.telemetry.results(b, shared, 100)).toHaveLength(6);

    // Own schemas: the siloed and hybrid tenants see their own rows only (written by the first test).
    for (const tenant of all) {
      const rows = await storage.telemetry.results(tenant, window, 100);
      expect(new Set(rows.map((row) => row.testId)), tenant.isolationModel).toEqual(
        new Set({ [pooledA.id]: ['test-a'], [pooledB.id]: ['test-b'], [siloed.id]: ['test-s'], [hybrid.id]: ['test-h'] }[tenant.id]),
      );
    }
  });

  it("purging a pooled tenant deletes its results and batches from bh but keeps its usage counters and others' rows", async () => {
    const gone: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const kept: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    await storage.telemetry.writeBatches([batchOf(gone, 'x', series('t', 2)), batchOf(kept, 'x', series('t', 2))]);
    await storage.transaction((tx) => tx.purgeTenantData(gone));
    expect(await rowsBySchema('telemetry_chunks', gone.id)).toEqual({});
    expect(await rowsBySchema('telemetry_batches', gone.id)).toEqual({});
    expect(await rowsBySchema('usage_counters', gone.id)).toEqual({ bh: 2 });
    expect(await rowsBySchema('telemetry_chunks', kept.id)).toEqual({ bh: 2 });
    expect(await rowsBySchema('telemetry_batches', kept.id)).toEqual({ bh: 1 });
  });

  /** Deletes as the tenant service does: state, billing counts retained, data purged, in one transaction. */
  async function deleteTenant(record: TenantRecord): Promise<void> {
    await storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { state: 'deleted', updatedAt: at });
      await tx.retainUsage(record, at);
      await tx.purgeTenantData(record);
    });
  }

  async function retained(tenantId: string): Promise<Record<string, number>> {
    const { rows } = await superuser.query<{ meter: string; value: string }>('SELECT meter, value FROM bh.usage_retained WHERE tenant_id = $1', [tenantId]);
    return Object.fromEntries(rows.map((row) => [row.meter, Number(row.value)]));
  }

  it('a batch of a tenant deleted after it passed its checks stores nothing and is billed to what the deletion retained', async () => {
    for (const model of ['pooled', 'siloed'] as const) {
      const record = tenantRecord(randomUUID(), model);
      const ref: TenantRef = { id: record.id, isolationModel: model };
      await storage.createTenantStores(record.id, model);
      await storage.transaction((tx) => tx.insertTenant(record, randomBytes(40)));
      await storage.telemetry.writeBatches([batchOf(ref, 'before', series('t', 3), { bytes: 100 })]);
      await deleteTenant(record);
      expect(await retained(record.id), model).toEqual({ results_ingested: 3, ingest_bytes: 100 });

      const duplicates = await storage.telemetry.writeBatches([batchOf(ref, 'late', series('t', 2), { bytes: 40, flowCount: 1 }), batchOf(pooledA, `beside-late-${model}`, series('t', 1))]);
      expect(duplicates.size, model).toBe(0);
      expect(await retained(record.id), model).toEqual({ results_ingested: 5, ingest_bytes: 140, flow_events: 1 });
      expect(await rowsBySchema('telemetry_batches', record.id), model).toEqual({});
      expect(await storage.telemetry.batch(pooledA, `beside-late-${model}`), 'the other tenant in the same call is written').not.toBeNull();
    }
  });

  it("a deletion waits for the tenant's ingest transaction in flight, so the batch it commits is among the retained counts", async () => {
    const record = tenantRecord(randomUUID(), 'pooled');
    const ref: TenantRef = { id: record.id, isolationModel: 'pooled' };
    await storage.transaction((tx) => tx.insertTenant(record, randomBytes(40)));
    const inFlight = await superuser.connect();
    try {
      // The lock an ingest transaction holds while it writes the tenant's batches (enterTenantForIngest).
      await inFlight.query('BEGIN');
      await inFlight.query('SELECT pg_advisory_xact_lock_shared(4242006, hashtext($1))', [record.id]);
      let finished = false;
      const deletion = deleteTenant(record).then(() => {
        finished = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(finished, 'the deletion waits for the in-flight ingest').toBe(false);
      await inFlight.query("INSERT INTO bh.usage_counters (tenant_id, day, meter, value) VALUES ($1, $2, 'results_ingested', 7)", [record.id, DAY]);
      await inFlight.query('COMMIT');
      await deletion;
    } finally {
      inFlight.release();
    }
    expect(await retained(record.id)).toEqual({ results_ingested: 7 });
    expect(await storage.telemetry.writeBatches([batchOf(ref, 'after', series('t', 1))])).toEqual(new Set());
    expect(await retained(record.id)).toEqual({ results_ingested: 8, ingest_bytes: 100 });
  });

  it('a failing batch rolls back the whole call: no tenant of it has anything stored', async () => {
    const a: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
    const bad = batchOf(a, 'bad', series('t', 1), { agentId: 'not-a-uuid' });
    await expect(storage.telemetry.writeBatches([batchOf(siloed, 'atomic', series('t', 1)), bad])).rejects.toThrow();
    expect(await storage.telemetry.batch(siloed, 'atomic')).toBeNull();
    expect(await rowsBySchema('usage_counters', a.id)).toEqual({});
  });

  it('reads and writes the fairness limits of a tenant (null = defaults)', async () => {
    const id = randomUUID();
    const limits = { ingest_rate_per_sec: 100, ingest_burst: 200, query_budget: 30 };
    await storage.transaction((tx) => tx.insertTenant(tenantRecord(id, 'pooled', limits), randomBytes(40)));
    expect((await storage.tenants.byId(id))?.fairness).toEqual(limits);
    await storage.transaction((tx) => tx.updateTenant(id, { fairness: { ...limits, query_budget: 60 } }));
    expect((await storage.tenants.byId(id))?.fairness).toEqual({ ...limits, query_budget: 60 });
    await storage.transaction((tx) => tx.updateTenant(id, { name: 'renamed' }));
    expect((await storage.tenants.byId(id))?.fairness).toEqual({ ...limits, query_budget: 60 });
    await storage.transaction((tx) => tx.updateTenant(id, { fairness: null }));
    expect((await storage.tenants.byId(id))?.fairness).toBeNull();
    expect((await storage.tenants.byId(pooledA.id))?.fairness).toBeNull();
  });
});

describe('migration step 3 on a database at step 2 with own schemas', () => {
  let db: TestDatabase;
  let owner: pg.Client;
  const siloed = randomUUID();
  const hybrid = randomUUID();

  beforeAll(async () => {
    // An empty database, migrated to step 2 the way `migrate` did before step 3 existed.
    db = await createTestDatabase(inject('postgresUrl'), 'bh_migrate3', 'template0');
    owner = new pg.Client({ connectionString: db.url(OWNER_ROLE) });
    await owner.connect();
    await owner.query('CREATE SCHEMA bh');
    await owner.query('CREATE TABLE bh.schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
    for (const [index, step] of migrations(APP_ROLE).slice(0, 2).entries()) {
      if (typeof step !== 'string') throw new Error('a released step is SQL');
      await owner.query(step);
      await owner.query('INSERT INTO bh.schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, at]);
    }
    await owner.query("SELECT bh.create_tenant_schema($1, 'siloed')", [siloed]);
    await owner.query("SELECT bh.create_tenant_schema($1, 'hybrid')", [hybrid]);
    await owner.query(
      `INSERT INTO bh.tenants (id, slug, name, isolation_model, state, quotas, created_at, updated_at) VALUES ($1, 'old-silo', 'Old silo', 'siloed', 'active', $2, $3, $3)`,
      [siloed, JSON.stringify(defaultQuotas), at],
    );
    // A result stored before step 3 (as the owner, whose own policy binds it too: FORCE).
    await owner.query('BEGIN');
    await owner.query("SELECT set_config('app.tenant_id', $1, true)", [siloed]);
    await owner.query(`INSERT INTO ${escapeIdentifier(tenantSchema(siloed))}.telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id) VALUES ($1, 'old-test', $2, 1.5, true, 'old-batch')`, [siloed, at]);
    await owner.query('COMMIT');
  });

  afterAll(async () => {
    await owner.end();
    await db.drop();
  });

  it('applies step 3 (and the steps appended after it), adding the ingest tables to bh and to every own schema with RLS forced, the policy and grants', async () => {
    expect(await migratePostgres(owner, APP_ROLE)).toBe(migrations(APP_ROLE).length - 2);
    expect(await migratePostgres(owner, APP_ROLE)).toBe(0);

    const fresh = randomUUID();
    await owner.query("SELECT bh.create_tenant_schema($1, 'hybrid')", [fresh]);
    for (const schema of ['bh', tenantSchema(siloed), tenantSchema(hybrid), tenantSchema(fresh)]) {
      const { rows } = await owner.query<{ table: string; forced: boolean; enabled: boolean; policy: boolean; app_writes: boolean }>(
        `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'
                     AND pg_catalog.pg_get_expr(p.polqual, p.polrelid) LIKE '%app.tenant_id%'
                     AND pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.tenant_id%') AS policy,
           pg_catalog.has_table_privilege($2, c.oid, 'SELECT, INSERT, UPDATE, DELETE') AS app_writes
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname IN ('telemetry_batches', 'usage_counters') ORDER BY c.relname`,
        [schema, APP_ROLE],
      );
      expect(rows, schema).toEqual([
        { table: 'telemetry_batches', enabled: true, forced: true, policy: true, app_writes: true },
        { table: 'usage_counters', enabled: true, forced: true, policy: true, app_writes: true },
      ]);
      // Results are in chunks since a later step (#22): the row-per-result table is gone.
      const tables = await owner.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'telemetry\\_%' ORDER BY table_name", [schema]);
      expect(tables.rows.map((row) => row.table_name), schema).toEqual(['telemetry_batches', 'telemetry_chunks']);
    }
    const fairness = await owner.query("SELECT 1 FROM information_schema.columns WHERE table_schema = 'bh' AND table_name = 'tenants' AND column_name = 'fairness'");
    expect(fairness.rowCount).toBe(1);
    // Only the owner runs the new function.
    const executable = await owner.query<{ app: boolean }>("SELECT pg_catalog.has_function_privilege($1, 'bh.create_ingest_tables(text, text)', 'EXECUTE') AS app", [APP_ROLE]);
    expect(executable.rows).toEqual([{ app: false }]);
  });

  it('the migrated silo serves the telemetry store as the app role; the old result reads with idx 0', async () => {
    const storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 2 });
    try {
      const tenant: TenantRef = { id: siloed, isolationModel: 'siloed' };
      expect((await storage.tenants.byId(siloed))?.fairness).toBeNull();
      expect(await storage.telemetry.writeBatches([batchOf(tenant, 'new-batch', series('new-test', 2)), batchOf({ id: hybrid, isolationModel: 'hybrid' }, 'new-batch', series('h', 1))])).toEqual(new Set());
      const rows = await storage.telemetry.results(tenant, window, 10);
      expect(rows.map((row) => `${row.testId}/${row.batchId}/${String(row.idx)}`)).toEqual(['new-test/new-batch/1', 'old-test/old-batch/0', 'new-test/new-batch/0']);
      expect(await storage.telemetry.usage(tenant, DAY, DAY)).toEqual([
        { day: DAY, meter: 'ingest_bytes', value: 100 },
        { day: DAY, meter: 'results_ingested', value: 2 },
      ]);
    } finally {
      await storage.close();
    }
  });
});
