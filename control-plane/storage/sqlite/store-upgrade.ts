import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openStore } from './connection';
import { migrationSets } from './migrations';
import { telemetryCellFile, type SqliteLayout } from './sqlite-tenant-stores';

/** The telemetry schema this code brings stores to: both kinds' step counts. */
export const TELEMETRY_STORES_VERSION = `telemetry ${migrationSets.telemetry.length}, silo ${migrationSets.silo.length}`;
const MARK = 'telemetry_stores_version';

/**
 * Migrates every telemetry store of a data dir at start-up: the pooled cells, and each tenant's
 * own store (a silo's tenant.db, a hybrid tenant's telemetry.db). Stores are otherwise opened on
 * first use; a migration that moves rows (see telemetry-upgrade.ts) must not run then, with the
 * event loop stopped in the middle of someone's read. Answers the files it opened.
 *
 * Opening a store costs about a millisecond, so a data dir of 10,000 silos would pay seconds at
 * every start. With the control store given, the pass runs only when the telemetry schema
 * changed since the last one that finished (recorded in it); stores created since were migrated
 * when they were made. A store file copied in from an older version is migrated on first use.
 */
export function upgradeTelemetryStores(layout: SqliteLayout, control?: Database.Database): string[] {
  if (control !== undefined && markOf(control) === TELEMETRY_STORES_VERSION) return [];
  const files: { file: string; kind: 'telemetry' | 'silo' }[] = [];
  for (let cell = 0; cell <= 64; cell++) {
    const file = telemetryCellFile(layout, cell);
    if (existsSync(file)) files.push({ file, kind: 'telemetry' });
  }
  const tenants = existsSync(layout.tenantsDir) ? readdirSync(layout.tenantsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory()) : [];
  for (const tenant of tenants) {
    const silo = join(layout.tenantsDir, tenant.name, 'tenant.db');
    const own = join(layout.tenantsDir, tenant.name, 'telemetry.db');
    if (existsSync(silo)) files.push({ file: silo, kind: 'silo' });
    else if (existsSync(own)) files.push({ file: own, kind: 'telemetry' });
  }
  for (const { file, kind } of files) openStore(file, kind).close();
  // Only once every store is through: a pass that failed part-way runs again at the next start.
  control?.prepare('INSERT INTO data_dir_marks (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(MARK, TELEMETRY_STORES_VERSION);
  return files.map((entry) => entry.file);
}

function markOf(control: Database.Database): string | undefined {
  return (control.prepare('SELECT value FROM data_dir_marks WHERE name = ?').pluck().get(MARK) as string | undefined) ?? undefined;
}
