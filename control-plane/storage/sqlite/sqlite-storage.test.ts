import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultQuotas, type IsolationModel } from '../../../contracts/tenants';
import type { TelemetryBatchWrite, TenantRecord, TenantRef } from '../types';
import { memoisedTenantRows } from '../rows/tenant-rows';
import { SqliteStorage, sqliteLayout, telemetryCellFile } from './sqlite-storage';
import { checkKeptTenantScope } from '../../../test/helpers/kept-tenant-scope';
import { countResults, resultsByTenant } from '../../../test/helpers/stored-results';

/**
 * Pooled telemetry cells: where a new pooled tenant is placed, where its rows land, that a placed
 * tenant never moves, and that tenants from before cells keep reading the original file.
 */

const at = '2030-05-01T12:00:00.000Z';
const window = { from: '2030-05-01T00:00:00.000Z', to: '2030-05-01T23:59:59.999Z' };

function record(id: string, model: IsolationModel): TenantRecord {
  return { id, slug: `t-${id.slice(0, 8)}`, name: id, isolationModel: model, residency: null, plan: null, contactEmail: null, state: 'active', quotas: defaultQuotas, fairness: null, createdAt: at, updatedAt: at, handedOverAt: null };
}

function batchOf(tenant: TenantRef, count: number): TelemetryBatchWrite {
  return {
    tenant,
    batchId: randomUUID(),
    agentId: randomUUID(),
    receivedAt: at,
    testIds: Array.from({ length: count }, () => 'test-1'),
    ts: Array.from({ length: count }, (_, i) => new Date(Date.parse(at) + i * 1000).toISOString()),
    latencyMs: Array.from({ length: count }, () => 5),
    ok: Array.from({ length: count }, () => true),
    flowCount: 0,
    bytes: 100,
    sealed: randomBytes(48),
  };
}

describe('SQLite pooled telemetry cells', () => {
  const dirs: string[] = [];
  const opened: SqliteStorage[] = [];
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-cells-'));
    dirs.push(dir);
    return dir;
  };
  const open = (dir: string, telemetryCells?: number) => {
    const storage = SqliteStorage.open(sqliteLayout(dir), Buffer.alloc(32, 7), telemetryCells === undefined ? {} : { telemetryCells });
    opened.push(storage);
    return storage;
  };
  /** Creates a tenant as the tenant service does: its stores first, then its row. */
  const create = async (storage: SqliteStorage, model: IsolationModel = 'pooled'): Promise<TenantRef> => {
    const id = randomUUID();
    await storage.createTenantStores(id, model);
    await storage.transaction((tx) => tx.insertTenant(record(id, model), randomBytes(40)));
    return { id, isolationModel: model };
  };
  const cellRows = (dir: string, cell: number): Record<string, number> => {
    const db = new Database(telemetryCellFile(sqliteLayout(dir), cell), { readonly: true });
    try {
      return resultsByTenant(db);
    } finally {
      db.close();
    }
  };

  it('places each new pooled tenant in the cell with the fewest, writes its rows there, and lanes follow cells', async () => {
    const dir = dataDir();
    const storage = open(dir, 3);
    const pooled = [await create(storage), await create(storage), await create(storage)];
    // Tenants with stores of their own are not in any cell.
    const hybrid = await create(storage, 'hybrid');
    const fourth = await create(storage);
    expect([...pooled, fourth].map((tenant) => storage.telemetry.writeLane(tenant))).toEqual(['cell:0', 'cell:1', 'cell:2', 'cell:0']);
    expect(storage.telemetry.writeLane(hybrid)).toBe(`own:${hybrid.id}`);

    await storage.telemetry.writeBatches([...pooled, fourth, hybrid].map((tenant, i) => batchOf(tenant, i + 1)));
    const [a, b, c] = pooled.map((tenant) => tenant.id);
    expect(cellRows(dir, 0)).toEqual({ [String(a)]: 1, [fourth.id]: 4 });
    expect(cellRows(dir, 1)).toEqual({ [String(b)]: 2 });
    expect(cellRows(dir, 2)).toEqual({ [String(c)]: 3 });
    // Each tenant reads its own rows from its own cell, and no other's.
    for (const [i, tenant] of [...pooled, fourth].entries()) {
      const rows = await storage.telemetry.results(tenant, window, 100);
      expect(rows, tenant.id).toHaveLength(i + 1);
    }
  });

  it('does not count deleted tenants, and a tenant whose creation is undone frees its place', async () => {
    const dir = dataDir();
    const storage = open(dir, 2);
    const first = await create(storage);
    const second = await create(storage);
    await storage.transaction((tx) => tx.updateTenant(second.id, { state: 'deleted' }));
    // Cell 1 holds only a deleted tenant: the next one goes there.
    const third = await create(storage);
    expect(storage.telemetry.writeLane(third)).toBe('cell:1');
    const undone = randomUUID();
    const undo = await storage.createTenantStores(undone, 'pooled');
    await undo();
    expect(storage.telemetry.writeLane({ id: undone, isolationModel: 'pooled' })).toBe('cell:0');
    expect(storage.telemetry.writeLane(first)).toBe('cell:0');
  });

  it('spreads tenants created at once (placed before their rows exist), and forgets the placement of one whose row never came', async () => {
    const dir = dataDir();
    const storage = open(dir, 3);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await storage.createTenantStores(id, 'pooled');
    expect(ids.map((id) => storage.telemetry.writeLane({ id, isolationModel: 'pooled' }))).toEqual(['cell:0', 'cell:1', 'cell:2']);
    for (const id of ids.slice(0, 2)) await storage.transaction((tx) => tx.insertTenant(record(id, 'pooled'), randomBytes(40)));
    // The third never got its row (a crash): the sweep at start-up drops its placement, and cell 2 is free again.
    await storage.sweepOrphanStores();
    expect(storage.telemetry.writeLane(await create(storage))).toBe('cell:2');
  });

  it('keeps placed tenants in their cells when reopened with fewer cells, and reads tenants from before cells in the original file', async () => {
    const dir = dataDir();
    let storage = open(dir, 4);
    const tenants = [await create(storage), await create(storage), await create(storage)];
    await storage.telemetry.writeBatches(tenants.map((tenant) => batchOf(tenant, 2)));
    await storage.close();

    storage = open(dir, 1);
    for (const tenant of tenants) expect(await storage.telemetry.results(tenant, window, 100)).toHaveLength(2);
    // With one cell, every new pooled tenant goes to cell 0.
    expect(storage.telemetry.writeLane(await create(storage))).toBe('cell:0');
    await storage.close();

    // A data dir from before cells: its pooled tenants have no placement and their rows are in telemetry.db.
    const legacyDir = dataDir();
    storage = open(legacyDir, 1);
    const legacy = await create(storage);
    await storage.telemetry.writeBatches([batchOf(legacy, 3)]);
    await storage.close();
    const control = new Database(sqliteLayout(legacyDir).controlFile);
    control.prepare('DELETE FROM telemetry_cells').run();
    control.close();
    storage = open(legacyDir, 2);
    expect(storage.telemetry.writeLane(legacy)).toBe('cell:0');
    expect(await storage.telemetry.results(legacy, window, 100)).toHaveLength(3);
    // It counts for cell 0, so the next tenant goes to cell 1.
    expect(storage.telemetry.writeLane(await create(storage))).toBe('cell:1');
    expect(existsSync(telemetryCellFile(sqliteLayout(legacyDir), 1))).toBe(true);
  });

  it("removes a deleted pooled tenant's telemetry after the commit, finishes a removal a restart cut short, and drops its late batches", async () => {
    const dir = dataDir();
    let storage = open(dir, 2);
    const [gone, stays] = [await create(storage), await create(storage)];
    await storage.telemetry.writeBatches([batchOf(gone, 4), batchOf(stays, 2)]);
    /** The tenant service's delete: state and purge in one transaction, then the stores. */
    const markDeleted = (target: SqliteStorage, tenant: TenantRef) =>
      target.transaction(async (tx) => {
        await tx.updateTenant(tenant.id, { state: 'deleted' });
        await tx.purgeTenantData(tenant);
      });
    await markDeleted(storage, gone);
    // The cell's rows are not part of that transaction: they are still there, and so is the placement.
    expect(cellRows(dir, 0)).toEqual({ [gone.id]: 4 });
    // A crash before the removal: the restart's sweep finishes it.
    await storage.close();
    storage = open(dir, 2);
    expect(await storage.sweepOrphanStores()).toEqual([`telemetry of ${gone.id}`]);
    expect(cellRows(dir, 0)).toEqual({});
    expect(cellRows(dir, 1)).toEqual({ [stays.id]: 2 });
    expect(await storage.sweepOrphanStores()).toEqual([]);

    // A tenant from before cells (no placement) is found in cell 0 and removed too.
    const legacy = await create(storage);
    expect(storage.telemetry.writeLane(legacy)).toBe('cell:0');
    await storage.telemetry.writeBatches([batchOf(legacy, 3)]);
    const control = new Database(sqliteLayout(dir).controlFile);
    control.prepare('DELETE FROM telemetry_cells WHERE tenant_id = ?').run(legacy.id);
    control.close();
    await markDeleted(storage, legacy);
    await storage.removeTenantStores(legacy.id);
    expect(cellRows(dir, 0)).toEqual({});
    // A batch admitted before the delete and written after it is dropped, not left behind.
    await storage.telemetry.writeBatches([batchOf(legacy, 1), batchOf(stays, 1)]);
    expect(cellRows(dir, 0)).toEqual({});
    expect(cellRows(dir, 1)).toEqual({ [stays.id]: 3 });
  });

  it.each<IsolationModel>(['pooled', 'hybrid', 'siloed'])(
    'bills a %s tenant\'s batch committed after its delete read the counters: the removal tops the retained counters up',
    async (model) => {
      const storage = open(dataDir(), 2);
      const tenant = await create(storage, model);
      await storage.telemetry.writeBatches([batchOf(tenant, 4)]);
      // The tenant service's delete transaction; then a batch admitted before it reaches the writer and commits.
      await storage.transaction(async (tx) => {
        await tx.updateTenant(tenant.id, { state: 'deleted' });
        await tx.retainUsage(tenant, at);
        await tx.purgeTenantData(tenant);
      });
      await storage.telemetry.writeBatches([batchOf(tenant, 3)]);
      await storage.removeTenantStores(tenant.id);

      const page = await storage.usage.page({ fromDay: '2030-05-01', toDay: '2030-05-31' }, null, 100);
      const usage = page.usage.find((row) => row.tenantId === tenant.id);
      expect(usage?.state).toBe('deleted');
      expect(usage?.values.results_ingested).toBe(7);
      expect(usage?.values.ingest_bytes).toBe(200);
    },
  );

  it("adds to usage meters on the cell's writer thread: waiting for the file's write lock never holds this thread", async () => {
    const dir = dataDir();
    const storage = open(dir, 1);
    const tenant = await create(storage);
    await storage.telemetry.writeBatches([batchOf(tenant, 1)]);
    // Another connection holds the write lock, as a long write in flight on the writer thread does.
    const locker = new Database(telemetryCellFile(sqliteLayout(dir), 0));
    locker.exec('BEGIN IMMEDIATE');
    let settled = false;
    const counted = storage.telemetry.addUsage(tenant, 'ai_calls', 1, at).finally(() => {
      settled = true;
    });
    // On this thread the insert would have slept out the busy timeout and failed; here it waits, and this thread goes on.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    locker.exec('COMMIT');
    locker.close();
    await counted;
    expect(await storage.telemetry.usage(tenant, '2030-05-01', '2030-05-01')).toContainEqual({ day: '2030-05-01', meter: 'ai_calls', value: 1 });
  });

  it('lets go of the own-store writer after every transaction on a silo, committed or rolled back: a large write then runs unpaused', async () => {
    const dir = dataDir();
    const storage = open(dir, 1);
    const silo = await create(storage, 'siloed');
    // Each joins the silo, which holds the writer back (it makes way for this thread's BEGIN).
    expect(await storage.transaction((tx) => tx.countProbeTests(silo))).toBe(0);
    await expect(
      storage.transaction(async (tx) => {
        await tx.countProbeTests(silo);
        throw new Error('undone');
      }),
    ).rejects.toThrow('undone');
    // A hold left behind would pause this write after 64 rows for seconds, and part of it would show.
    const reader = new Database(join(sqliteLayout(dir).tenantsDir, silo.id, 'tenant.db'), { readonly: true });
    try {
      const state = { done: false };
      const writing = storage.telemetry.writeBatches([batchOf(silo, 20_000)]).finally(() => {
        state.done = true;
      });
      const partial = new Set<number>();
      while (!state.done) {
        const rows = countResults(reader);
        if (rows > 0 && rows < 20_000) partial.add(rows);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await writing;
      expect([...partial]).toEqual([]);
      expect(countResults(reader)).toBe(20_000);
    } finally {
      reader.close();
    }
  });

  it('refuses a cell count outside 1 to 64', () => {
    const dir = dataDir();
    expect(() => open(dir, 0)).toThrow(/1 to 64/);
    expect(() => open(dir, 65)).toThrow(/1 to 64/);
    expect(() => open(dir, 1.5)).toThrow(/1 to 64/);
  });
});

describe('SQLite tenant scopes', () => {
  it('keeps one scope per tenant and model, which still reads what was written after it was made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-scopes-'));
    const storage = SqliteStorage.open(sqliteLayout(dir), Buffer.alloc(32, 7));
    try {
      await checkKeptTenantScope(storage, at);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite tenant reads and the parsed-row memo', () => {
  it('lists tenants without the memo; a single tenant read goes through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-tenant-memo-'));
    const storage = SqliteStorage.open(sqliteLayout(dir), Buffer.alloc(32, 7));
    try {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await storage.transaction((tx) => tx.insertTenant(record(id, 'pooled'), randomBytes(40)));
      const before = memoisedTenantRows();
      expect((await storage.tenants.list({ limit: 100 })).map((tenant) => tenant.id).sort()).toEqual([...ids].sort());
      expect(memoisedTenantRows()).toBe(before);
      expect((await storage.tenants.byId(ids[0] ?? ''))?.id).toBe(ids[0]);
      expect(memoisedTenantRows()).not.toBe(before);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
