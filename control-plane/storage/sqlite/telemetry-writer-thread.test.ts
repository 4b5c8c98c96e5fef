import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryBatchWrite } from '../types';
import { openStore } from './connection';
import { packBatch, preparePacked, writePacked } from './packed-telemetry';
import { CHUNK_MAX_RESULTS } from '../telemetry-chunk-split';
import { TelemetryWriterThread } from './telemetry-writer-thread';
import { batchResults, countResults, resultsByBatch } from '../../../test/helpers/stored-results';

const tenant = { id: randomUUID(), isolationModel: 'pooled' as const };
const testId = randomUUID();

const batch = (batchId: string): TelemetryBatchWrite => ({
  tenant,
  batchId,
  agentId: 'agent-1',
  receivedAt: '2026-12-02T10:00:00.000Z',
  testIds: [testId, testId, testId],
  ts: ['2026-12-02T09:59:58.000Z', '2026-12-02T09:59:57.000Z', '2026-12-02T09:59:59.000Z'],
  latencyMs: [12.5, null, 30],
  ok: [true, false, true],
  flowCount: 2,
  bytes: 900,
  sealed: Buffer.from('sealed-details'),
});

describe('TelemetryWriterThread', () => {
  const dirs: string[] = [];
  const threads: TelemetryWriterThread[] = [];
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((thread) => thread.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-writer-thread-'));
    dirs.push(dir);
    const file = join(dir, 'telemetry.db');
    openStore(file, 'telemetry').close();
    const thread = new TelemetryWriterThread();
    threads.push(thread);
    return { dir, file, thread };
  };

  it('commits packed batches on its own connection; the main thread reads them back column for column', async () => {
    const { file, thread } = setup();
    expect(await thread.write(file, [packBatch(batch('b1')), packBatch(batch('b2'))])).toEqual([]);
    const db = new Database(file, { readonly: true });
    try {
      const rows = batchResults(db, tenant.id, 'b1');
      expect(rows).toEqual([
        { test_id: testId, ts: '2026-12-02T09:59:58.000Z', latency_ms: 12.5, ok: 1, idx: 0 },
        { test_id: testId, ts: '2026-12-02T09:59:57.000Z', latency_ms: null, ok: 0, idx: 1 },
        { test_id: testId, ts: '2026-12-02T09:59:59.000Z', latency_ms: 30, ok: 1, idx: 2 },
      ]);
      const stored = db.prepare('SELECT first_ts, last_ts, result_count, flow_count, bytes, sealed FROM telemetry_batches WHERE batch_id = ?').get('b2') as Record<string, unknown>;
      expect(stored).toEqual({ first_ts: '2026-12-02T09:59:57.000Z', last_ts: '2026-12-02T09:59:59.000Z', result_count: 3, flow_count: 2, bytes: 900, sealed: Buffer.from('sealed-details') });
      const usage = db.prepare('SELECT meter, value FROM usage_counters WHERE tenant_id = ? ORDER BY meter').all(tenant.id);
      expect(usage).toEqual([
        { meter: 'flow_events', value: 4 },
        { meter: 'ingest_bytes', value: 1800 },
        { meter: 'results_ingested', value: 6 },
      ]);
    } finally {
      db.close();
    }
  });

  it('stores a retried batch once and names it as a duplicate', async () => {
    const { file, thread } = setup();
    await thread.write(file, [packBatch(batch('b1'))]);
    expect(await thread.write(file, [packBatch(batch('b1')), packBatch(batch('b3'))])).toEqual([`${tenant.id}/b1`]);
    const db = new Database(file, { readonly: true });
    try {
      expect(countResults(db)).toBe(6);
    } finally {
      db.close();
    }
  });

  it('refuses a write it cannot make with the reason, writes nothing of it, and keeps serving', async () => {
    const { dir, file, thread } = setup();
    const unmigrated = join(dir, 'empty.db');
    new Database(unmigrated).close();
    await expect(thread.write(unmigrated, [packBatch(batch('b1'))])).rejects.toThrow(/no such table/);
    expect(await thread.write(file, [packBatch(batch('b1'))])).toEqual([]);
  });

  it('forgets the files under a removed directory: a later write opens the path anew instead of writing to the unlinked file', async () => {
    const { dir, thread } = setup();
    const tenantDir = join(dir, 'tenant-a');
    mkdirSync(tenantDir);
    const file = join(tenantDir, 'telemetry.db');
    openStore(file, 'telemetry').close();
    await thread.write(file, [packBatch(batch('b1'))]);
    await thread.forget(`${tenantDir}/`);
    rmSync(tenantDir, { recursive: true });
    // Were the connection still open, this write would succeed, into a file no one can see.
    await expect(thread.write(file, [packBatch(batch('b2'))])).rejects.toThrow(/Cannot open database because the directory does not exist/);
  });

  const bigBatch = (batchId: string, count: number): TelemetryBatchWrite => ({
    ...batch(batchId),
    testIds: Array.from({ length: count }, () => testId),
    ts: Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 11, 2, 9, 0, 0, i)).toISOString()),
    // Latencies that do not pack (raw float64): the disk-full test needs the batch to take room.
    latencyMs: Array.from({ length: count }, (_, i) => 5 + i / 3),
    ok: Array.from({ length: count }, () => true),
  });
  const settledOrder = (writes: Record<string, Promise<string[]>>) => {
    const order: string[] = [];
    return Promise.all(Object.entries(writes).map(([name, write]) => write.then((duplicates) => order.push(`${name}:${duplicates.length}`)))).then(() => order);
  };

  it("commits a write that waits behind a large one first: the large one pauses between its chunks, and both end up whole", async () => {
    const { file, thread } = setup();
    const other = { id: randomUUID(), isolationModel: 'pooled' as const };
    const big = thread.write(file, [packBatch(bigBatch('big', 20_000))]);
    const small = thread.write(file, [packBatch({ ...batch('small'), tenant: other })]);
    expect(await settledOrder({ big, small })).toEqual(['small:0', 'big:0']);
    const db = new Database(file, { readonly: true });
    try {
      expect(resultsByBatch(db)).toEqual([
        { batch_id: 'big', n: 20_000 },
        { batch_id: 'small', n: 3 },
      ]);
      expect(db.prepare('SELECT COUNT(*) FROM telemetry_batches WHERE pending_from IS NOT NULL').pluck().get()).toBe(0);
      expect(db.prepare("SELECT value FROM usage_counters WHERE tenant_id = ? AND meter = 'results_ingested'").pluck().get(tenant.id)).toBe(20_000);
    } finally {
      db.close();
    }
  });

  it('fails a large write that runs out of room after a pause: the write that joined it stays acknowledged, nothing of the large batch stays, and the thread keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-writer-thread-'));
    dirs.push(dir);
    const file = join(dir, 'telemetry.db');
    const migrated = openStore(file, 'telemetry');
    const pages = migrated.pragma('page_count', { simple: true }) as number;
    migrated.close();
    // A full disk, as SQLite sees one: the file may grow by 12 pages (20,000 results need about 40).
    const thread = new TelemetryWriterThread(64, [`max_page_count = ${pages + 12}`]);
    threads.push(thread);
    const other = { id: randomUUID(), isolationModel: 'pooled' as const };
    const order: string[] = [];
    const big = thread.write(file, [packBatch(bigBatch('big', 20_000))]).then(
      () => order.push('big:stored'),
      (error: unknown) => order.push(`big:${error instanceof Error ? error.message : String(error)}`),
    );
    const small = thread.write(file, [packBatch({ ...batch('small'), tenant: other })]).then(() => order.push('small:stored'));
    await Promise.all([big, small]);
    // The small write was committed in the large one's first transaction, before the large one failed.
    expect(order).toEqual(['small:stored', 'big:database or disk is full']);
    const db = new Database(file, { readonly: true });
    try {
      // The rows the paused transaction committed for the large batch are gone with it.
      expect(resultsByBatch(db)).toEqual([{ batch_id: 'small', n: 3 }]);
      expect(db.prepare('SELECT batch_id FROM telemetry_batches').pluck().all()).toEqual(['small']);
      expect(db.prepare('SELECT COUNT(*) FROM usage_counters WHERE tenant_id = ?').pluck().get(tenant.id)).toBe(0);
    } finally {
      db.close();
    }
    expect(await thread.write(file, [packBatch(batch('after'))])).toEqual([]);
  });

  it('acknowledges a retry of a paused batch only after the batch commits, as a duplicate', async () => {
    const { file, thread } = setup();
    const first = thread.write(file, [packBatch(bigBatch('big', 20_000))]);
    const retry = thread.write(file, [packBatch(bigBatch('big', 20_000))]);
    expect(await settledOrder({ first, retry })).toEqual(['first:0', 'retry:1']);
    const db = new Database(file, { readonly: true });
    try {
      expect(countResults(db)).toBe(20_000);
    } finally {
      db.close();
    }
  });

  it('removes a batch a stopped process left part-way before its first write, so the retry of that batch is stored whole', async () => {
    const { file, thread } = setup();
    // What a kill between a paused write's transactions leaves: one chunk, the batch marked pending.
    const db = openStore(file, 'telemetry');
    try {
      const statements = preparePacked(db);
      const left = db.transaction(() => writePacked(statements, [packBatch(bigBatch('left', 2000))], { duplicates: [], waitsForPending: false }, { batch: 0, row: 0, pendingFrom: null }, () => true, 64)).immediate();
      expect(left).toMatchObject({ row: 1 });
      expect(countResults(db, { batchId: 'left' })).toBe(CHUNK_MAX_RESULTS);
    } finally {
      db.close();
    }
    expect(await thread.write(file, [packBatch(bigBatch('left', 2000))])).toEqual([]);
    const reader = new Database(file, { readonly: true });
    try {
      expect(countResults(reader, { batchId: 'left' })).toBe(2000);
      expect(reader.prepare('SELECT COUNT(*) FROM telemetry_batches WHERE pending_from IS NOT NULL').pluck().get()).toBe(0);
    } finally {
      reader.close();
    }
  });

  it('starts again after close, for a storage reopened in the same process', async () => {
    const { file, thread } = setup();
    await thread.write(file, [packBatch(batch('b1'))]);
    await thread.close();
    expect(await thread.write(file, [packBatch(batch('b2'))])).toEqual([]);
  });

  it('makes way for a main-thread transaction on a file it writes: a held write pauses at its next look, commits, and waits for the release', async () => {
    const { file, thread } = setup();
    thread.hold();
    const big = thread.write(file, [packBatch(bigBatch('held', 20_000))]);
    const other = new Database(file);
    try {
      const written = () => countResults(other, { batchId: 'held' });
      let seen = 0;
      for (let i = 0; i < 500 && seen === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen = written();
      }
      // Its first look is after its first chunk (64 rows or more): that is committed, and the thread is out of the file.
      expect(seen).toBe(CHUNK_MAX_RESULTS);
      // No busy waiting allowed: this would throw "database is locked" if the thread held the file.
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      other.exec('COMMIT');
      expect(written()).toBe(CHUNK_MAX_RESULTS);
      thread.release();
      expect(await big).toEqual([]);
      expect(written()).toBe(20_000);
    } finally {
      other.close();
    }
  });

  it("purges one tenant's telemetry a chunk per transaction, with writes posted meanwhile going between chunks; then truncates the WAL", async () => {
    const { file, thread } = setup();
    const other = { id: randomUUID(), isolationModel: 'pooled' as const };
    await thread.write(file, Array.from({ length: 20 }, (_, i) => packBatch(batch(`d${i}`))));
    await thread.write(file, [packBatch({ ...batch('o1'), tenant: other }), packBatch({ ...batch('o2'), tenant: other })]);
    const finished: string[] = [];
    // 20 chunks of 3 results, 20 batch rows, its test's and its own key: 42 rows, 7 a transaction.
    const purge = thread.purge(file, tenant.id, 7).then((removed) => {
      finished.push('purge');
      return removed;
    });
    const resultsOf = (id: string) => {
      const reader = new Database(file, { readonly: true });
      try {
        return countResults(reader, { tenantId: id });
      } finally {
        reader.close();
      }
    };
    const write = thread.write(file, [packBatch({ ...batch('o3'), tenant: other })]).then(() => {
      finished.push('write');
      // Committed after the first chunk, not after the whole purge.
      return resultsOf(tenant.id);
    });
    expect(await purge).toBe(42);
    // The purge's next chunks may run before this reads; the last one cannot have.
    const leftWhenWritten = await write;
    expect(leftWhenWritten).toBeGreaterThan(0);
    expect(leftWhenWritten).toBeLessThan(60);
    expect(finished).toEqual(['write', 'purge']);
    const db = new Database(file, { readonly: true });
    try {
      const count = (sql: string, id: string) => db.prepare(sql).pluck().get(id) as number;
      expect(countResults(db, { tenantId: tenant.id })).toBe(0);
      expect(count('SELECT COUNT(*) FROM telemetry_tenants WHERE tenant_id = ?', tenant.id)).toBe(0);
      expect(count('SELECT COUNT(*) FROM telemetry_batches WHERE tenant_id = ?', tenant.id)).toBe(0);
      expect(countResults(db, { tenantId: other.id })).toBe(9);
      // Usage meters are billing counts: they stay.
      expect(count('SELECT COUNT(*) FROM usage_counters WHERE tenant_id = ?', tenant.id)).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(await thread.purge(file, tenant.id)).toBe(0);
  });
});
