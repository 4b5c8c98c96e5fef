import type pg from 'pg';

/**
 * What every PostgreSQL store of this folder shares: where a tenant's own schema is, how the tenant
 * context is set, and how a statement gets its transaction.
 */
export type Queryable = Pick<pg.PoolClient, 'query'>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The own schema of a siloed or hybrid tenant. */
export function tenantSchema(tenantId: string): string {
  if (!UUID.test(tenantId)) {
    throw new Error('not a tenant id');
  }
  return `bh_t_${tenantId.replace(/-/g, '')}`;
}

/** Sets the tenant context for the rest of the current transaction only (is_local = true). */
export async function enterTenant(client: Queryable, tenantId: string): Promise<void> {
  await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
}

/**
 * Runs `fn` in one transaction on a pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. A context set inside (set_config(..., true)) ends with the transaction, so the
 * connection goes back to the pool without it.
 */
export async function inTransaction<T>(pool: pg.Pool, mode: 'read only' | 'read write', fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(mode === 'read only' ? 'BEGIN READ ONLY' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
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
