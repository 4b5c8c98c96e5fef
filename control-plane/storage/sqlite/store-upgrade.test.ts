import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openRowPerResultStore } from '../../../test/helpers/row-per-result';
import { openStore } from './connection';
import { SqliteStorage, sqliteLayout, telemetryCellFile } from './sqlite-storage';
import { TELEMETRY_STORES_VERSION, upgradeTelemetryStores } from './store-upgrade';

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

  it('opens the stores once per telemetry schema: later starts skip them until the schema changes', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-store-upgrade-'));
    dirs.push(dataDir);
    const layout = sqliteLayout(dataDir);
    const silos = Array.from({ length: 3 }, () => join(layout.tenantsDir, randomUUID(), 'tenant.db'));
    for (const file of silos) {
      mkdirSync(join(file, '..'), { recursive: true });
      openRowPerResultStore(file, 'silo').close();
    }
    const control = openStore(layout.controlFile, 'control');
    try {
      expect(upgradeTelemetryStores(layout, control).sort()).toEqual([...silos].sort());
      expect(upgradeTelemetryStores(layout, control)).toEqual([]);
      // A schema this store has not seen every store brought to (the code gained a step): all again.
      control.prepare("UPDATE data_dir_marks SET value = 'telemetry 4, silo 7' WHERE name = 'telemetry_stores_version'").run();
      expect(upgradeTelemetryStores(layout, control)).toHaveLength(3);
      expect(control.prepare('SELECT value FROM data_dir_marks').pluck().all()).toEqual([TELEMETRY_STORES_VERSION]);
    } finally {
      control.close();
    }
  });

  it('records nothing when a store fails to open, so the next start tries every store again', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-store-upgrade-'));
    dirs.push(dataDir);
    const layout = sqliteLayout(dataDir);
    const broken = join(layout.tenantsDir, randomUUID(), 'tenant.db');
    mkdirSync(join(broken, '..'), { recursive: true });
    writeFileSync(broken, 'not a database, but long enough to be read as one: '.repeat(20));
    const control = openStore(layout.controlFile, 'control');
    try {
      expect(() => upgradeTelemetryStores(layout, control)).toThrow();
      expect(control.prepare('SELECT count(*) FROM data_dir_marks').pluck().get()).toBe(0);
      rmSync(broken);
      openRowPerResultStore(broken, 'silo').close();
      expect(upgradeTelemetryStores(layout, control)).toEqual([broken]);
      expect(tablesOf(broken)).toContain('telemetry_chunks');
    } finally {
      control.close();
    }
  });
});
