import { randomBytes, randomUUID } from 'node:crypto';
import pg, { escapeIdentifier } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkChunkReads } from '../../../test/helpers/chunk-read-property';
import { APP_ROLE } from '../../../test/helpers/postgres-roles';
import { plainTenantRecord } from '../../../test/helpers/seed-tenants';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import type { TelemetryBatchWrite, TenantRef } from '../types';
import { PostgresStorage, tenantSchema } from './postgres-storage';

// The shared property test (test/helpers/chunk-read-property.ts) on PostgreSQL's chunks, through
// the telemetry store as the app role: a pooled tenant (bh) and a siloed one (its own schema). A
// batch written part-way is one whose transaction fails after its chunks are written (a later
// batch of the same call is refused): it rolls back whole, so none of it is ever visible.

describe('reads over telemetry chunks (PostgreSQL)', () => {
  let db: TestDatabase;
  let storage: PostgresStorage;
  let superuser: pg.Pool;
  const pooled: TenantRef = { id: randomUUID(), isolationModel: 'pooled' };
  const siloed: TenantRef = { id: randomUUID(), isolationModel: 'siloed' };

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_chunks');
    superuser = new pg.Pool({ connectionString: db.superuserUrl, max: 1 });
    storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 2 });
    for (const tenant of [pooled, siloed]) {
      await storage.createTenantStores(tenant.id, tenant.isolationModel);
      await storage.transaction((tx) => tx.insertTenant(plainTenantRecord(tenant.id, tenant.isolationModel, '2026-06-01T00:00:00.000Z'), randomBytes(40)));
    }
  });

  afterAll(async () => {
    await storage.close();
    await superuser.end();
    await db.drop();
  });

  it('answer pages newest first, a test over a range, oldest-first analysis rows, summaries (the store’s own too) and insights as a naive reference does', async () => {
    const telemetry = storage.telemetry;
    const aggregates = telemetry.aggregates?.bind(telemetry);
    expect(aggregates).toBeDefined();
    await checkChunkReads(async () => {
      for (const schema of ['bh', tenantSchema(siloed.id)]) await superuser.query(`TRUNCATE ${escapeIdentifier(schema)}.telemetry_chunks, ${escapeIdentifier(schema)}.telemetry_batches`);
      return {
        engine: {
          tenants: [pooled, siloed],
          write: async (batch, partWay) => {
            if (!partWay) return (await telemetry.writeBatches([batch])).size > 0 ? 'duplicate' : 'stored';
            // Sorted after the batch (same tenant, a later id), and refused: its agent id is no UUID.
            const refused: TelemetryBatchWrite = { ...batch, batchId: 'zz-refused', agentId: 'not-a-uuid', testIds: [], ts: [], latencyMs: [], ok: [] };
            await expect(telemetry.writeBatches([batch, refused])).rejects.toThrow();
            return 'left';
          },
          results: (tenant, window, limit, before) => telemetry.results(tenant, window, limit, before),
          oldest: (tenant, window, limit) => telemetry.resultsForAnalysis(tenant, window, limit),
          aggregates: async (tenant, window, limit) => (aggregates === undefined ? null : aggregates(tenant, window, limit)),
        },
        close: () => Promise.resolve(),
      };
    }, 40);
  }, 600_000);
});
