import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryResultRow } from '../types';
import { newestResults, oldestResults } from './chunk-reads';
import { openStore } from './connection';
import { sqliteLayout } from './sqlite-tenant-stores';
import { upgradeTelemetryStores } from './store-upgrade';
import { openRowPerResultStore, ROW_PER_RESULT_INSERT, rowPerResultNewest, rowPerResultOldest } from '../../../test/helpers/row-per-result';

// A data dir as the row-per-result release left it: its stores migrated up to the step before
// chunks, rows written as that release's writer wrote them, and read back by that release's
// queries (copied here). After the upgrade the same reads answer the same rows.

const tenantA = '6f1d6c1e-0000-4000-8000-00000000000a';
const tenantB = '6f1d6c1e-0000-4000-8000-00000000000b';
const window = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' };

/** Rows as the old writer stored them: a batch row, then a row per result. */
function writeOld(db: Database.Database, tenantId: string, batchId: string, rows: { test: string; ts: string; latency: number | null; ok: boolean }[], pending = false): void {
  const sorted = rows.map((row) => row.ts).sort();
  db.prepare(
    'INSERT INTO telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(tenantId, batchId, 'agent-1', '2026-03-02T12:00:00.000Z', sorted[0] ?? null, sorted.at(-1) ?? null, rows.length, 1, 500, Buffer.from(`sealed:${batchId}`));
  const insert = db.prepare(ROW_PER_RESULT_INSERT);
  let first = 0;
  rows.forEach((row, idx) => {
    const id = Number(insert.run(tenantId, row.test, row.ts, row.latency, row.ok ? 1 : 0, batchId, idx).lastInsertRowid);
    if (idx === 0) first = id;
  });
  if (pending) db.prepare('UPDATE telemetry_batches SET pending_from = ? WHERE tenant_id = ? AND batch_id = ?').run(first, tenantId, batchId);
}

/** Two tenants, three tests, batches across an hour boundary and out of order, a null latency, a pending batch. */
function fill(db: Database.Database): void {
  const at = (minute: number, second: number) => new Date(Date.UTC(2026, 2, 2, 9, minute, second, 250)).toISOString();
  for (const tenant of [tenantA, tenantB]) {
    writeOld(
      db,
      tenant,
      'batch-1',
      Array.from({ length: 90 }, (_, i) => ({ test: `test-${i % 3}`, ts: at(40 + Math.floor(i / 3), (i * 7) % 60), latency: i % 11 === 0 ? null : 10 + ((i * 13) % 50) / 4, ok: i % 9 !== 0 })),
    );
    writeOld(db, tenant, 'batch-2', Array.from({ length: 40 }, (_, i) => ({ test: 'test-1', ts: at(59 - (i % 20), i), latency: Math.PI * i, ok: true })));
    writeOld(db, tenant, 'left', [{ test: 'test-0', ts: at(30, 0), latency: 1, ok: true }], true);
  }
  // From before positions were stored: every row at 0.
  db.prepare("INSERT INTO telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id) VALUES (?, 'test-2', '2026-03-02T08:00:00Z', 3, 1, 'ancient'), (?, 'test-2', '2026-03-02T08:00:01.000Z', 4, 0, 'ancient')").run(tenantA, tenantA);
}

describe('upgrade of row-per-result telemetry to chunks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['telemetry', 'silo'] as const)('moves a %s store’s rows into chunks at start-up; every read answers what the old layout answered', (kind) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-upgrade-'));
    dirs.push(dataDir);
    const layout = sqliteLayout(dataDir);
    const file = kind === 'telemetry' ? layout.telemetryFile : join(layout.tenantsDir, tenantA, 'tenant.db');
    mkdirSync(join(layout.tenantsDir, tenantA), { recursive: true });
    const old = openRowPerResultStore(file, kind);
    const before: Record<string, TelemetryResultRow[]> = {};
    try {
      fill(old);
      for (const tenant of [tenantA, tenantB]) {
        for (const test of [undefined, 'test-0', 'test-1', 'test-2']) {
          before[`${tenant}/${String(test)}/newest`] = rowPerResultNewest(old, tenant, { ...window, testId: test }, 25);
          before[`${tenant}/${String(test)}/all`] = rowPerResultOldest(old, tenant, { ...window, testId: test }, 100_000);
        }
      }
    } finally {
      old.close();
    }
    expect(before[`${tenantA}/undefined/all`]).toHaveLength(130 + 2);

    expect(upgradeTelemetryStores(layout)).toEqual([file]);

    const db = openStore(file, kind);
    try {
      expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'telemetry_results%'").pluck().get()).toBe(0);
      for (const tenant of [tenantA, tenantB]) {
        for (const test of [undefined, 'test-0', 'test-1', 'test-2']) {
          const scoped = { ...window, testId: test };
          expect(newestResults(db, tenant, scoped, 25)).toEqual(before[`${tenant}/${String(test)}/newest`]);
          expect(oldestResults(db, tenant, scoped, 100_000)).toEqual(before[`${tenant}/${String(test)}/all`]);
        }
      }
      // The batch left part-way was never acknowledged: gone, with its rows; the others keep their sealed details.
      expect(db.prepare('SELECT tenant_id, batch_id, sealed FROM telemetry_batches ORDER BY tenant_id, batch_id').all()).toEqual(
        [tenantA, tenantB].flatMap((tenant) => ['batch-1', 'batch-2'].map((batch) => ({ tenant_id: tenant, batch_id: batch, sealed: Buffer.from(`sealed:${batch}`) }))),
      );
      // Once moved, a second start-up has nothing to do.
      expect(db.prepare('SELECT COUNT(*) FROM telemetry_chunks').pluck().get()).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
