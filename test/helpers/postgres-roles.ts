import pg from 'pg';
import { runMigrations } from '../../control-plane/storage/postgres/migrate';
import { startPostgresCluster } from './postgres-cluster';

/** The roles and template database of the shared test cluster (see postgres-global-setup.ts). */
export const APP_ROLE = 'bulkhead_app';
export const OWNER_ROLE = 'bulkhead_owner';
export const TEMPLATE_DB = 'bulkhead_template';

export function withDatabase(superuserUrl: string, role: string, database: string): string {
  const url = new URL(superuserUrl);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * As a deployment would: an owner role that migrates, an app role with no superuser and no
 * BYPASSRLS that the server connects as, and a migrated template each test database is copied from.
 */
export async function prepareTemplate(superuserUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${OWNER_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS`);
    await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  await runMigrations(withDatabase(superuserUrl, OWNER_ROLE, TEMPLATE_DB), APP_ROLE);
}

export interface BenchDatabase {
  /** The bench database as the app role (no superuser, no BYPASSRLS): what the server connects as. */
  appUrl: string;
  /** The bench database as the superuser: for seeding past RLS, VACUUM and size queries. */
  superuserUrl: string;
  /** Stops the cluster and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A private cluster with the migrated template and one database `name` copied from it, as the
 * benches need. Fast (fsync off) unless `durable`: ingest compares against SQLite's synchronous=FULL.
 */
export async function benchDatabase(name: string, options: { durable?: boolean } = {}): Promise<BenchDatabase> {
  const cluster = await startPostgresCluster({ fast: options.durable !== true });
  try {
    await prepareTemplate(cluster.superuserUrl);
    const admin = new pg.Client({ connectionString: cluster.superuserUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    appUrl: withDatabase(cluster.superuserUrl, APP_ROLE, name),
    superuserUrl: withDatabase(cluster.superuserUrl, 'postgres', name),
    stop: () => cluster.stop(),
  };
}
