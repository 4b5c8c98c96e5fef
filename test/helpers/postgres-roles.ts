import pg from 'pg';
import { runMigrations } from '../../control-plane/storage/postgres/migrate';

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
