import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openRowPerResultStore } from '../../../test/helpers/row-per-result';
import { SqliteStorage, sqliteLayout, telemetryCellFile } from './sqlite-storage';

const tablesOf = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'telemetry_%' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
};

describe('upgradeTelemetryStores', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('moves every telemetry store of a data dir to chunks when the storage opens: cells, silos and hybrid stores', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-store-upgrade-'));
    dirs.push(dataDir);
    const layout = sqliteLayout(dataDir);
    const silo = join(layout.tenantsDir, randomUUID(), 'tenant.db');
    const hybrid = join(layout.tenantsDir, randomUUID(), 'telemetry.db');
    const files = [telemetryCellFile(layout, 0), telemetryCellFile(layout, 2), silo, hybrid];
    for (const file of files) {
      mkdirSync(join(file, '..'), { recursive: true });
      openRowPerResultStore(file, file === silo ? 'silo' : 'telemetry').close();
      expect(tablesOf(file)).toContain('telemetry_results');
    }
    // A tenant directory being created (nothing in it yet) is left alone.
    mkdirSync(join(layout.tenantsDir, randomUUID()));

    const storage = SqliteStorage.open(layout, randomBytes(32));
    await storage.close();

    for (const file of files) expect(tablesOf(file)).toEqual(['telemetry_batches', 'telemetry_chunks', 'telemetry_series', 'telemetry_tenants']);
  });
});
