import type pg from 'pg';

/**
 * What every PostgreSQL store of this folder shares: where a tenant's own schema is, how the tenant
 * context is set, how a statement gets its transaction, and how statements are written.
 */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A row as pg hands it over (parsed by the mappings of rows/). */
export type Row = Record<string, unknown>;

/** Runs `fn` in a read-only transaction in one tenant's context (a tenant scope's reads). */
export type TenantRead = <T>(fn: (client: Queryable) => Promise<T>) => Promise<T>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Only UUIDs can be ids here (the columns are uuid): anything else matches nothing rather than failing the statement. */
export function uuids(ids: string[]): string[] {
  return ids.filter((id) => UUID.test(id));
}

/** The first row a statement answers (undefined: none). */
export async function firstRow(client: Queryable, sql: string, values: unknown[] = []): Promise<Row | undefined> {
  return (await client.query<Row>(sql, values)).rows[0];
}

/** The own schema of a siloed or hybrid tenant. */
export function tenantSchema(tenantId: string): string {
  if (!UUID.test(tenantId)) {
    throw new Error('not a tenant id');
  }
  return `bh_t_${tenantId.replace(/-/g, '')}`;
}

/** The schema holding a tenant's control data: its own (siloed) or the shared one. */
export function controlSchema(tenant: { id: string; isolationModel: string }): string {
  return tenant.isolationModel === 'siloed' ? tenantSchema(tenant.id) : 'bh';
}

/** Sets the tenant context for the rest of the current transaction only (is_local = true). */
export async function enterTenant(client: Queryable, tenantId: string): Promise<void> {
  await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
}

/**
 * The lock that orders a tenant's ingest against its deletion: ingest holds it shared for the rest
 * of its transaction, deletion exclusively before it copies the billing counters. So a deletion
 * waits for the batches already being written, and a batch that waited sees the tenant deleted.
 */
const TENANT_WRITES_LOCK = 4242006;

/** Enters the tenant's context and holds its writes lock shared; answers whether the tenant is deleted. */
export async function enterTenantForIngest(client: Queryable, tenantId: string): Promise<{ deleted: boolean }> {
  await client.query("SELECT set_config('app.tenant_id', $1, true), pg_advisory_xact_lock_shared($2, hashtext($1))", [tenantId, TENANT_WRITES_LOCK]);
  // A statement of its own, after the lock: under READ COMMITTED it sees a deletion that committed while this waited.
  const { rows } = await client.query<{ state: string }>('SELECT state FROM bh.tenants WHERE id = $1', [tenantId]);
  return { deleted: rows[0]?.state === 'deleted' };
}

/** Waits for the tenant's in-flight ingest transactions and keeps new ones out until this transaction ends. */
export async function lockTenantWrites(client: Queryable, tenantId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($2, hashtext($1))', [tenantId, TENANT_WRITES_LOCK]);
}

/**
 * Enters the tenant's context for the rest of the transaction and answers how to reach its control
 * data: `table` names a table of its control schema.
 */
export async function enterControl(client: Queryable, tenant: { id: string; isolationModel: string }): Promise<{ query: (sql: string, values: unknown[]) => Promise<pg.QueryResult<Row>>; table: (name: string) => string }> {
  await enterTenant(client, tenant.id);
  const schema = controlSchema(tenant);
  return { query: (sql, values) => client.query<Row>(sql, values), table: (name) => `${schema}.${name}` };
}

/**
 * Runs `fn` in one transaction on a pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. A context set inside (set_config(..., true)) ends with the transaction, so the
 * connection goes back to the pool without it.
 */
export async function inTransaction<T>(pool: pg.Pool, mode: 'read only' | 'repeatable read' | 'read write', fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: when the server goes away mid-transaction
  // its 'error' event would otherwise be unhandled and end the process. The statement in flight
  // rejects with the same error, which is what the request answers (503 storage_unavailable).
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query({ 'read only': 'BEGIN READ ONLY', 'repeatable read': 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', 'read write': 'BEGIN' }[mode]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (broken === undefined) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    // A broken connection is destroyed, not handed to the next request.
    client.release(broken);
  }
}

/**
 * A read-only transaction on the provider plane: tables with a SELECT-only `provider_read` policy
 * (break-glass and recovery requests) show every tenant's rows; nothing else opens, nothing can change.
 */
export function asProvider<T>(pool: pg.Pool, fn: (client: Queryable) => Promise<T>): Promise<T> {
  return inTransaction(pool, 'read only', async (client) => {
    await client.query("SELECT set_config('app.plane', 'provider', true)");
    return fn(client);
  });
}

/** A read-only transaction, in a tenant's context when `tenantId` is given ('repeatable read': every statement sees one snapshot). */
export function readAs<T>(pool: pg.Pool, tenantId: string | null, fn: (client: Queryable) => Promise<T>, mode: 'read only' | 'repeatable read' = 'read only'): Promise<T> {
  return inTransaction(pool, mode, async (client) => {
    if (tenantId !== null) {
      await enterTenant(client, tenantId);
    }
    return fn(client);
  });
}

/** An INSERT of these columns, bound by position: run it with valuesOf(row columns, the same list). */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`;
}

/** An UPDATE of these columns of the row with the `key` columns' values; bound by position, the key first. */
export function updateSql(table: string, columns: readonly string[], key: readonly string[] = ['tenant_id', 'id']): string {
  const set = columns.map((column, index) => `${column} = $${key.length + index + 1}`).join(', ');
  return `UPDATE ${table} SET ${set} WHERE ${key.map((column, index) => `${column} = $${index + 1}`).join(' AND ')}`;
}

/** A row's column values in the order of `columns`. */
export function valuesOf<C extends string>(row: Record<C, unknown>, columns: readonly C[]): unknown[] {
  return columns.map((column) => row[column]);
}
