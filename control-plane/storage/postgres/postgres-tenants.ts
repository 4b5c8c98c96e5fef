import type pg from 'pg';
import { count } from '../rows/columns';
import { SHARED_CONTROL_TABLES, TENANT_COLUMNS, tenantChangeColumns, tenantColumns, tenantFromRow, tenantFromRowCached } from '../rows/tenant-rows';
import type { TenantReader, TenantWrites } from '../tenants';
import { enterTenant, firstRow, insertSql, readAs, UUID, valuesOf, type Row } from './tenant-context';

/** Tenant rows (provider table) and their wrapped data keys (tenant-owned: read and written in the tenant's context). */
const insertTenant = insertSql('bh.tenants', TENANT_COLUMNS);

export function postgresTenantReader(pool: pg.Pool): TenantReader {
  return {
    byId: async (id) => {
      if (!UUID.test(id)) return null;
      const row = await firstRow(pool, 'SELECT * FROM bh.tenants WHERE id = $1', [id]);
      return row ? tenantFromRowCached(row) : null;
    },
    bySlug: async (slug) => {
      const row = await firstRow(pool, 'SELECT * FROM bh.tenants WHERE slug = $1', [slug]);
      return row ? tenantFromRowCached(row) : null;
    },
    list: async (query) => {
      const clauses: string[] = [];
      const values: unknown[] = [];
      if (query.state !== undefined) {
        values.push(query.state);
        clauses.push(`state = $${values.length}`);
      }
      if (query.after !== undefined) {
        values.push(query.after.createdAt, query.after.id);
        clauses.push(`(created_at, id::text) > ($${values.length - 1}, $${values.length})`);
      }
      values.push(query.limit);
      const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
      return (await pool.query<Row>(`SELECT * FROM bh.tenants ${where} ORDER BY created_at, id::text LIMIT $${values.length}`, values)).rows.map(tenantFromRow);
    },
    countLive: async () => count((await firstRow(pool, "SELECT COUNT(*) AS n FROM bh.tenants WHERE state <> 'deleted'", []))?.n ?? 0),
  };
}

/** The wrapped data key of a tenant, or null once destroyed. */
export async function postgresTenantDataKey(pool: pg.Pool, tenantId: string): Promise<Buffer | null> {
  if (!UUID.test(tenantId)) return null;
  return readAs(pool, tenantId, async (client) => {
    const row = (await client.query<Row>('SELECT wrapped_key FROM bh.tenant_keys WHERE tenant_id = $1', [tenantId])).rows[0];
    return (row?.wrapped_key as Buffer | undefined) ?? null;
  });
}

/** Writes inside the caller's transaction. */
export function postgresTenantWrites(client: pg.PoolClient): TenantWrites {
  return {
    countLiveTenants: async () => {
      // Serializes the band check with concurrent creations on every replica until this transaction ends.
      await client.query<Row>('SELECT pg_advisory_xact_lock(4242002)');
      return count((await firstRow(client, "SELECT COUNT(*) AS n FROM bh.tenants WHERE state <> 'deleted'", []))?.n ?? 0);
    },
    tenantBySlug: async (slug) => {
      const row = await firstRow(client, 'SELECT * FROM bh.tenants WHERE slug = $1', [slug]);
      return row ? tenantFromRowCached(row) : null;
    },
    tenantForUpdate: async (id) => {
      if (!UUID.test(id)) return null;
      const row = await firstRow(client, 'SELECT * FROM bh.tenants WHERE id = $1 FOR UPDATE', [id]);
      return row ? tenantFromRowCached(row) : null;
    },
    insertTenant: async (tenant, wrappedDataKey) => {
      await client.query<Row>(insertTenant, valuesOf(tenantColumns(tenant), TENANT_COLUMNS));
      await enterTenant(client, tenant.id);
      await client.query<Row>('INSERT INTO bh.tenant_keys (tenant_id, wrapped_key) VALUES ($1, $2)', [tenant.id, wrappedDataKey]);
    },
    updateTenant: async (id, change) => {
      const columns = tenantChangeColumns(change);
      if (columns.length > 0) {
        await client.query<Row>(`UPDATE bh.tenants SET ${columns.map(([column], index) => `${column} = $${index + 2}`).join(', ')} WHERE id = $1`, [id, ...columns.map(([, value]) => value)]);
      }
    },
    destroyTenantKey: async (tenantId) => {
      await enterTenant(client, tenantId);
      await client.query<Row>("UPDATE bh.tenant_keys SET wrapped_key = '\\x00'::bytea WHERE tenant_id = $1", [tenantId]);
      await client.query<Row>('DELETE FROM bh.tenant_keys WHERE tenant_id = $1', [tenantId]);
    },
    purgeTenantData: async (tenant) => {
      await enterTenant(client, tenant.id);
      // The pooled telemetry goes too (an own schema goes whole); usage_counters stay: they are billing counts.
      for (const table of [...SHARED_CONTROL_TABLES, 'telemetry_chunks', 'telemetry_batches']) {
        await client.query<Row>(`DELETE FROM bh.${table} WHERE tenant_id = $1`, [tenant.id]);
      }
    },
  };
}
