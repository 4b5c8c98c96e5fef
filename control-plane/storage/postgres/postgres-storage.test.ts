import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkKeptTenantScope } from '../../../test/helpers/kept-tenant-scope';
import { APP_ROLE } from '../../../test/helpers/postgres-roles';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import { plainTenantRecord } from '../../../test/helpers/seed-tenants';
import { memoisedTenantRows } from '../rows/tenant-rows';
import { PostgresStorage } from './postgres-storage';

// PostgresStorage on a real PostgreSQL, as the app role: the reads of tenants and the scopes it keeps.

const at = '2030-05-01T12:00:00.000Z';

describe('PostgreSQL storage', () => {
  let db: TestDatabase;
  let storage: PostgresStorage;

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_storage');
    storage = await PostgresStorage.open(db.url(APP_ROLE), randomBytes(32), { max: 2 });
  });

  afterAll(async () => {
    await storage.close();
    await db.drop();
  });

  it('lists tenants without the parsed-row memo; a single tenant read goes through it', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) {
      await storage.createTenantStores(id, 'pooled');
      await storage.transaction((tx) => tx.insertTenant(plainTenantRecord(id, 'pooled', at), randomBytes(40)));
    }
    const before = memoisedTenantRows();
    expect((await storage.tenants.list({ limit: 100 })).map((tenant) => tenant.id).sort()).toEqual([...ids].sort());
    expect(memoisedTenantRows()).toBe(before);
    expect((await storage.tenants.byId(ids[0] ?? ''))?.id).toBe(ids[0]);
    expect(memoisedTenantRows()).not.toBe(before);
  });

  it('keeps one scope per tenant and model, which still reads what was written after it was made', async () => {
    await checkKeptTenantScope(storage, at);
  });
});
