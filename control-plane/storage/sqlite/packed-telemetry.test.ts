import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryBatchWrite } from '../types';
import { openStore } from './connection';
import { packBatch, preparePacked, removeUnfinished, writePacked, type PackedBatch, type PackedCursor, type PackedOutcome } from './packed-telemetry';
import { SqliteTelemetry } from './sqlite-telemetry';
import { TelemetryWriterThread } from './telemetry-writer-thread';
import { countResults } from '../../../test/helpers/stored-results';

const tenant = { id: randomUUID(), isolationModel: 'pooled' as const };
/** Seven tests, results taking turns: a batch of 35 is stored as seven chunks of five. */
const testIds = Array.from({ length: 7 }, () => randomUUID());

function batch(batchId: string, count: number, of: { id: string; isolationModel: 'pooled' } = tenant): PackedBatch {
  const write: TelemetryBatchWrite = {
    tenant: of,
    batchId,
    agentId: 'agent-1',
    receivedAt: '2026-12-02T10:00:00.000Z',
    testIds: Array.from({ length: count }, (_, i) => testIds[i % testIds.length] ?? ''),
    ts: Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 11, 2, 9, 0, 0, i)).toISOString()),
    latencyMs: Array.from({ length: count }, (_, i) => i),
    ok: Array.from({ length: count }, () => true),
    flowCount: 1,
    bytes: 100,
    sealed: Buffer.from('sealed'),
  };
  return packBatch(write);
}

const start: PackedCursor = { batch: 0, row: 0, pendingFrom: null };
const always = () => true;
const never = () => false;

describe('writePacked', () => {
  const dirs: string[] = [];
  const dbs: Database.Database[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-packed-'));
    dirs.push(dir);
    const db = openStore(join(dir, 'telemetry.db'), 'telemetry');
    dbs.push(db);
    const statements = preparePacked(db);
    // Reads only: the writer thread is never started.
    const telemetry = new SqliteTelemetry(() => db, () => ({ lane: 'cell:0', writer: new TelemetryWriterThread() }));
    const run = (batches: PackedBatch[], outcome: PackedOutcome, from: PackedCursor, shouldPause: () => boolean, every = 10) =>
      db.transaction(() => writePacked(statements, batches, outcome, from, shouldPause, every)).immediate();
    const count = (batchId: string) => countResults(db, { batchId });
    const meter = () => db.prepare("SELECT COALESCE(SUM(value), 0) FROM usage_counters WHERE meter = 'results_ingested'").pluck().get() as number;
    return { db, statements, telemetry, run, count, meter };
  };
  const window = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };

  it('files every chunk of a write mixing tenants under its own tenant\'s test key, each key once', () => {
    const { db, run } = open();
    const other = { id: randomUUID(), isolationModel: 'pooled' as const };
    run([batch('m1', 35), batch('m2', 35, other), batch('m3', 35), batch('m4', 14, other)], { duplicates: [], waitsForPending: false }, start, never);
    const misfiled = db.prepare('SELECT count(*) FROM telemetry_chunks c JOIN telemetry_series s ON s.id = c.series WHERE s.tenant_id <> c.tenant_id').pluck().get();
    expect(misfiled).toBe(0);
    expect(db.prepare('SELECT count(*) FROM telemetry_chunks').pluck().get()).toBe(7 + 7 + 7 + 7);
    expect(db.prepare('SELECT count(*) FROM telemetry_series').pluck().get()).toBe(14);
  });

  it('pauses part-way through a batch (between chunks), hides it from readers while pending, and finishes it in a later transaction', async () => {
    const { run, count, meter, telemetry } = open();
    const outcome: PackedOutcome = { duplicates: [], waitsForPending: false };
    const paused = run([batch('big', 35)], outcome, start, always);
    // Two chunks of five are written when it first looks, after 10 results; it goes on at the third.
    expect(paused).toEqual({ batch: 0, row: 2, pendingFrom: expect.any(Number) as number });
    expect(count('big')).toBe(10);
    // Committed rows of an unfinished batch are not stored as far as any reader can tell.
    expect(await telemetry.results(tenant, window, 100)).toEqual([]);
    expect(await telemetry.resultsForAnalysis(tenant, window, 100)).toEqual([]);
    expect(await telemetry.batch(tenant, 'big')).toBeNull();
    expect(meter()).toBe(0);
    if (paused === null) throw new Error('expected a pause');
    const again = run([batch('big', 35)], outcome, paused, always);
    expect(again).toMatchObject({ batch: 0, row: 4, pendingFrom: paused.pendingFrom });
    expect(count('big')).toBe(20);
    if (again === null) throw new Error('expected a second pause');
    expect(run([batch('big', 35)], outcome, again, never)).toBeNull();
    expect(count('big')).toBe(35);
    expect((await telemetry.results(tenant, window, 100)).map((row) => row.latencyMs).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(await telemetry.batch(tenant, 'big')).toMatchObject({ resultCount: 35 });
    expect(meter()).toBe(35);
    expect(outcome).toEqual({ duplicates: [], waitsForPending: false });
  });

  it('pauses between batches without marking anything, and never with less than a chunk of a batch left', () => {
    const { run, count, db } = open();
    const outcome: PackedOutcome = { duplicates: [], waitsForPending: false };
    // 15 rows in chunks of 3, 2, 2, 2, 2, 2, 2: after 11 only 4 are left, so the batch is finished;
    // the next batch waits for the next transaction.
    const paused = run([batch('a', 15), batch('b', 5)], outcome, start, always);
    expect(paused).toEqual({ batch: 1, row: 0, pendingFrom: null });
    expect(count('a')).toBe(15);
    expect(count('b')).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM telemetry_batches WHERE pending_from IS NOT NULL').pluck().get()).toBe(0);
  });

  it('names a retry of a paused batch as a duplicate that waits for it, and a retry of a finished one as a plain duplicate', () => {
    const { run } = open();
    const first: PackedOutcome = { duplicates: [], waitsForPending: false };
    const paused = run([batch('big', 35)], first, start, always);
    const retry: PackedOutcome = { duplicates: [], waitsForPending: false };
    expect(run([batch('big', 35)], retry, start, never)).toBeNull();
    expect(retry).toEqual({ duplicates: [`${tenant.id}/big`], waitsForPending: true });
    if (paused === null) throw new Error('expected a pause');
    run([batch('big', 35)], first, paused, never);
    const later: PackedOutcome = { duplicates: [], waitsForPending: false };
    run([batch('big', 35)], later, start, never);
    expect(later).toEqual({ duplicates: [`${tenant.id}/big`], waitsForPending: false });
  });

  it('removes a batch left part-way by a stopped process, and only its rows, so its retry is stored whole', () => {
    const { run, count, statements, db, meter } = open();
    run([batch('done', 12)], { duplicates: [], waitsForPending: false }, start, never);
    const outcome: PackedOutcome = { duplicates: [], waitsForPending: false };
    run([batch('left', 35)], outcome, start, always);
    // Another batch written after the pause, as a waiting write would be: its rows follow the paused ones.
    run([batch('after', 3)], outcome, start, never);
    expect(db.transaction(() => removeUnfinished(statements)).immediate()).toBe(1);
    expect([count('done'), count('left'), count('after')]).toEqual([12, 0, 3]);
    const retry: PackedOutcome = { duplicates: [], waitsForPending: false };
    expect(run([batch('left', 35)], retry, start, never)).toBeNull();
    expect(retry.duplicates).toEqual([]);
    expect(count('left')).toBe(35);
    expect(meter()).toBe(12 + 3 + 35);
  });
});
