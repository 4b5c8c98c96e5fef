// Helpers shared by the PostgreSQL row-level-security tests (rls-schema-check.test.ts and
// rls-leak.test.ts, beside the PostgreSQL engine). Test support: only tests import it. It takes the
// superuser URL as an argument rather than calling vitest's `inject`, so importing it is side-effect free.
import { randomBytes } from 'node:crypto';
import pg, { escapeIdentifier } from 'pg';
import { OWNER_ROLE, TEMPLATE_DB, withDatabase } from './postgres-roles';

export type Queryable = Pick<pg.ClientBase, 'query'>;

/** A database copied from the migrated template, owned by the owner role, dropped (WITH FORCE) by `drop`. */
export interface TestDatabase {
  readonly name: string;
  /** Superuser URL of this database (the cluster's own credentials). */
  readonly superuserUrl: string;
  /** URL of this database as `role` (the test cluster trusts loopback: no password). */
  url(role: string): string;
  drop(): Promise<void>;
}

async function onCluster(superuserUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** `template`: the database to copy; `template0` gives an empty, unmigrated one (for migration tests). */
export async function createTestDatabase(clusterSuperuserUrl: string, prefix: string, template: string = TEMPLATE_DB): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onCluster(clusterSuperuserUrl, `CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE ${escapeIdentifier(template)} OWNER ${escapeIdentifier(OWNER_ROLE)}`);
  const superuserUrl = new URL(clusterSuperuserUrl);
  superuserUrl.pathname = `/${name}`;
  return {
    name,
    superuserUrl: superuserUrl.toString(),
    url: (role) => withDatabase(clusterSuperuserUrl, role, name),
    drop: () => onCluster(clusterSuperuserUrl, `DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`),
  };
}

/** A table with a `tenant_id` column in schema bh or a tenant's own schema bh_t_<uuid>. */
export interface TenantTable {
  readonly schema: string;
  readonly table: string;
  /** `schema.table`, for messages. */
  readonly name: string;
  /** The quoted, schema-qualified identifier, for SQL. */
  readonly sql: string;
}

/**
 * The tables with a `tenant_id` column in bh and every bh_t_% schema, read from pg_catalog (never
 * from a hand-written list). Ordinary and partitioned tables; catalog names are schema-qualified.
 */
export const TENANT_TABLES_SQL = String.raw`
  SELECT n.nspname AS schema, c.relname AS table, c.oid AS oid, a.attnum AS tenant_attnum
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'p') AND (n.nspname = 'bh' OR n.nspname LIKE 'bh\_t\_%')`;

export function tenantTable(schema: string, table: string): TenantTable {
  return { schema, table, name: `${schema}.${table}`, sql: `${escapeIdentifier(schema)}.${escapeIdentifier(table)}` };
}

export async function tenantTables(client: Queryable): Promise<TenantTable[]> {
  const { rows } = await client.query<{ schema: string; table: string }>(`SELECT schema, "table" FROM (${TENANT_TABLES_SQL}) t ORDER BY schema, "table"`);
  return rows.map((row) => tenantTable(row.schema, row.table));
}

export interface SqlError {
  code: string | undefined;
  message: string;
}

/**
 * Runs `sql` inside a savepoint, so a failure does not abort the surrounding transaction: returns the
 * database error (SQLSTATE and message) or the affected row count. Other errors are rethrown.
 */
export async function attempt(client: Queryable, sql: string, values: unknown[] = []): Promise<{ error: SqlError | null; rowCount: number | null }> {
  await client.query('SAVEPOINT attempt');
  try {
    const result = await client.query(sql, values);
    await client.query('RELEASE SAVEPOINT attempt');
    return { error: null, rowCount: result.rowCount };
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT attempt');
    return { error: { code: error.code, message: error.message }, rowCount: null };
  }
}

/** Runs `fn` in a transaction on a pooled connection, ending it with `end` (ROLLBACK unless told). */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'ROLLBACK'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await fn(client);
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    await client.query(end);
    return result;
  } finally {
    client.release();
  }
}
