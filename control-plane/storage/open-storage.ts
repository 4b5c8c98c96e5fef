import { deriveLedgerKey } from '../audit/ledger-codec';
import { deploymentKeyId } from '../crypto/deployment-key';
import { StartupError } from '../errors';
import { PostgresStorage } from './postgres/postgres-storage';
import { knownSchemaVersion, schemaVersionRefusal } from './postgres/schema-version';
import { SqliteStorage, sqliteLayout } from './sqlite/sqlite-storage';
import type { Storage } from './types';

/** Which engine holds the data: SQLite files in the data dir (default) or a PostgreSQL database. */
export type EngineConfig = { engine: 'sqlite'; telemetryCells?: number } | { engine: 'postgres'; url: string };

export const DATABASE_URL_ENV = 'BULKHEAD_DATABASE_URL';

export function engineFrom(database: string | undefined): EngineConfig {
  if (database === undefined || database === '') {
    return { engine: 'sqlite' };
  }
  if (!/^postgres(ql)?:\/\//.test(database)) {
    throw new StartupError('data_dir_invalid', '--database must be a postgres:// URL (SQLite needs no URL: it lives in the data dir).');
  }
  return { engine: 'postgres', url: database };
}

async function openPostgres(url: string, deploymentKey: Buffer): Promise<PostgresStorage> {
  let storage: PostgresStorage;
  try {
    storage = await PostgresStorage.open(url, deriveLedgerKey(deploymentKey));
  } catch (error) {
    const reason = (error as Error).message.replace(/postgres(ql)?:\/\/[^\s]*/g, '<database url>');
    throw new StartupError('data_dir_invalid', `Cannot use the PostgreSQL database (${reason}). Run control-plane migrate first, as the owner role.`);
  }
  // Tenant isolation on PostgreSQL is row-level security: a role that escapes it must never serve.
  const unsafe = await storage.roleEscapesRls();
  if (unsafe !== null) {
    await storage.close();
    throw new StartupError('database_role_unsafe', `Refusing the PostgreSQL connection: ${unsafe}, so row-level security would not isolate tenants. Connect as the app role that control-plane migrate --app-role set up.`);
  }
  // A schema this build does not match fails statements at request time: refuse to start instead.
  const { applied, role } = await storage.schemaVersion();
  const mismatch = schemaVersionRefusal(applied, knownSchemaVersion(), role);
  if (mismatch !== null) {
    await storage.close();
    throw new StartupError('database_schema_mismatch', mismatch);
  }
  return storage;
}

/** Opens the storage a data dir's deployment runs on, refusing a database that belongs to another deployment key. */
export async function openStorage(config: EngineConfig, dataDir: string, deploymentKey: Buffer): Promise<Storage> {
  if (config.engine === 'sqlite') {
    return SqliteStorage.open(sqliteLayout(dataDir), deriveLedgerKey(deploymentKey), config.telemetryCells === undefined ? {} : { telemetryCells: config.telemetryCells });
  }
  const storage = await openPostgres(config.url, deploymentKey);
  const keyId = await storage.deploymentKeyId();
  if (keyId !== deploymentKeyId(deploymentKey)) {
    await storage.close();
    throw new StartupError(
      keyId === null ? 'data_dir_invalid' : 'deployment_key_mismatch',
      keyId === null ? 'The PostgreSQL database has no deployment yet: run control-plane init --database first.' : 'The PostgreSQL database belongs to another deployment key.',
    );
  }
  return storage;
}

/** Opens storage for init: a fresh SQLite file in the staged dir, or a migrated PostgreSQL database with no deployment yet. */
export async function openStorageForInit(config: EngineConfig, stagedDir: string, deploymentKey: Buffer): Promise<{ storage: Storage; commit: (at: string) => Promise<void> }> {
  if (config.engine === 'sqlite') {
    return { storage: SqliteStorage.open(sqliteLayout(stagedDir), deriveLedgerKey(deploymentKey)), commit: () => Promise.resolve() };
  }
  const storage = await openPostgres(config.url, deploymentKey);
  if ((await storage.deploymentKeyId()) !== null) {
    await storage.close();
    throw new StartupError('data_dir_exists', 'The PostgreSQL database already has a deployment; init changes nothing. Point more replicas at it with serve --database.');
  }
  return { storage, commit: (at) => storage.recordDeployment(deploymentKeyId(deploymentKey), at) };
}
