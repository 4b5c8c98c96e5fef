import type pg from 'pg';
import type { BreakGlassListQuery, BreakGlassReader, BreakGlassRecord, BreakGlassScope, BreakGlassWrites } from '../break-glass';
import { BREAK_GLASS_COLUMNS, BREAK_GLASS_MUTABLE_COLUMNS, OPEN_BREAK_GLASS_STATES, breakGlassColumns, breakGlassFromRow, breakGlassSettingsFromRow } from '../rows/break-glass-rows';
import { asProvider, enterTenant, insertSql, updateSql, UUID, valuesOf, type Queryable, type Row, type TenantRead } from './tenant-context';

/**
 * Break-glass requests and settings in schema bh (every isolation model). Tenant-side statements
 * run in the tenant's context (RLS binds them to its rows); the provider's reads across tenants
 * declare the provider plane, which only the SELECT policy `provider_read` of break_glass_requests honours.
 */
const insertRequest = insertSql('bh.break_glass_requests', BREAK_GLASS_COLUMNS);
const updateRequest = updateSql('bh.break_glass_requests', BREAK_GLASS_MUTABLE_COLUMNS);

/** One page in (created_at, id) order. */
async function listRows(client: Queryable, query: BreakGlassListQuery): Promise<BreakGlassRecord[]> {
  const clauses: string[] = [];
  const values: unknown[] = [];
  const add = (clause: (n: number) => string, ...bound: unknown[]) => {
    values.push(...bound);
    clauses.push(clause(values.length));
  };
  if (query.tenantId !== undefined) add((n) => `tenant_id = $${n}`, query.tenantId);
  if (query.state !== undefined) add((n) => `state = $${n}`, query.state);
  if (query.after !== undefined) add((n) => `(created_at, id::text) > ($${n - 1}, $${n})`, query.after.createdAt, query.after.id);
  values.push(query.limit);
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  const { rows } = await client.query<Row>(`SELECT * FROM bh.break_glass_requests ${where} ORDER BY created_at, id::text LIMIT $${values.length}`, values);
  return rows.map(breakGlassFromRow);
}

/** The first row of a query, as a request (null: none). */
async function oneRow(client: Queryable, sql: string, values: unknown[]): Promise<BreakGlassRecord | null> {
  const row = (await client.query<Row>(sql, values)).rows[0];
  return row === undefined ? null : breakGlassFromRow(row);
}

export function postgresBreakGlassReader(pool: pg.Pool): BreakGlassReader {
  return {
    list: (query) => {
      if (query.tenantId !== undefined && !UUID.test(query.tenantId)) return Promise.resolve([]);
      return asProvider(pool, (client) => listRows(client, query));
    },
    byId: async (id) => {
      if (!UUID.test(id)) return null;
      return asProvider(pool, (client) => oneRow(client, 'SELECT * FROM bh.break_glass_requests WHERE id = $1', [id]));
    },
    due: (now, limit) =>
      asProvider(pool, async (client) => {
        const { rows } = await client.query<Row>(
          `SELECT * FROM bh.break_glass_requests
           WHERE (state IN ('pending', 'approved') AND request_expires_at <= $1) OR (state = 'active' AND grant_expires_at <= $1)
           ORDER BY created_at, id::text LIMIT $2`,
          [now, limit],
        );
        return rows.map(breakGlassFromRow);
      }),
  };
}

/** `read` runs a read-only transaction in the tenant's context. */
export function postgresBreakGlassScope(tenantId: string, read: TenantRead): BreakGlassScope {
  return {
    breakGlassRequests: (query) => read((client) => listRows(client, { ...query, tenantId })),
    breakGlassRequest: async (id) => {
      if (!UUID.test(id)) return null;
      return read((client) => oneRow(client, 'SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND id = $2', [tenantId, id]));
    },
    breakGlassByGrantHash: (grantHash) => read((client) => oneRow(client, 'SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND grant_hash = $2', [tenantId, grantHash])),
    breakGlassSettings: () =>
      read(async (client) => {
        const row = (await client.query<Row>('SELECT required_approvals, updated_at FROM bh.break_glass_settings WHERE tenant_id = $1', [tenantId])).rows[0];
        return row === undefined ? null : breakGlassSettingsFromRow(row);
      }),
  };
}

/** Writes inside the caller's transaction, each in the request's tenant context. */
export function postgresBreakGlassWrites(client: pg.PoolClient): BreakGlassWrites {
  return {
    insertBreakGlass: async (record) => {
      await enterTenant(client, record.tenantId);
      await client.query<Row>(insertRequest, valuesOf(breakGlassColumns(record), BREAK_GLASS_COLUMNS));
    },
    breakGlassForUpdate: async (tenantId, id) => {
      if (!UUID.test(id)) return null;
      await enterTenant(client, tenantId);
      return oneRow(client, 'SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
    },
    openBreakGlassForUpdate: async (tenantId) => {
      await enterTenant(client, tenantId);
      const { rows } = await client.query<Row>('SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND state = ANY($2::text[]) ORDER BY created_at, id::text FOR UPDATE', [
        tenantId,
        [...OPEN_BREAK_GLASS_STATES],
      ]);
      return rows.map(breakGlassFromRow);
    },
    updateBreakGlass: async (record) => {
      await enterTenant(client, record.tenantId);
      await client.query<Row>(updateRequest, valuesOf(breakGlassColumns(record), ['tenant_id', 'id', ...BREAK_GLASS_MUTABLE_COLUMNS]));
    },
    indexGrantToken: async (tenantId, tokenHash) => {
      await enterTenant(client, tenantId);
      await client.query<Row>("INSERT INTO bh.token_index (token_hash, tenant_id, kind) VALUES ($1, $2, 'break_glass')", [tokenHash, tenantId]);
    },
    putBreakGlassSettings: async (tenantId, settings) => {
      await enterTenant(client, tenantId);
      await client.query<Row>(
        `INSERT INTO bh.break_glass_settings (tenant_id, required_approvals, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET required_approvals = excluded.required_approvals, updated_at = excluded.updated_at`,
        [tenantId, settings.requiredApprovals, settings.updatedAt],
      );
    },
  };
}
