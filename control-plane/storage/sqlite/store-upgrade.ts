import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from './connection';
import { telemetryCellFile, type SqliteLayout } from './sqlite-tenant-stores';

/**
 * Migrates every telemetry store of a data dir at start-up: the pooled cells, and each tenant's
 * own store (a silo's tenant.db, a hybrid tenant's telemetry.db). Stores are otherwise opened on
 * first use; a migration that moves rows (see telemetry-upgrade.ts) must not run then, with the
 * event loop stopped in the middle of someone's read. Answers the files it opened.
 */
export function upgradeTelemetryStores(layout: SqliteLayout): string[] {
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
  return files.map((entry) => entry.file);
}
