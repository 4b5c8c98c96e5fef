import type pg from 'pg';
import { BREAK_GLASS_COLUMNS, BREAK_GLASS_MUTABLE_COLUMNS, OPEN_BREAK_GLASS_STATES, breakGlassColumns, breakGlassFromRow } from '../break-glass-rows';
import type { BreakGlassListQuery, BreakGlassReader, BreakGlassRecord, TenantScope, WriteTx } from '../types';
import { asProvider, enterTenant, UUID, type Queryable } from './tenant-context';

/**
 * Break-glass requests and settings in schema bh (every isolation model). Tenant-side statements
 * run in the tenant's context (RLS binds them to its rows); the provider's reads across tenants
 * declare the provider plane, which only the SELECT policy `provider_read` of break_glass_requests honours.
 */

type Row = Record<string, unknown>;

const insertSql = `INSERT INTO bh.break_glass_requests (${BREAK_GLASS_COLUMNS.join(', ')}) VALUES (${BREAK_GLASS_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`;
const updateSql = `UPDATE bh.break_glass_requests SET ${BREAK_GLASS_MUTABLE_COLUMNS.map((column, index) => `${column} = $${index + 3}`).join(', ')} WHERE tenant_id = $1 AND id = $2`;

/** One page in (created_at, id) order; `values` start with whatever the caller bound before. */
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


export function postgresBreakGlassReader(pool: pg.Pool): BreakGlassReader {
  return {
    list: (query) => {
      if (query.tenantId !== undefined && !UUID.test(query.tenantId)) return Promise.resolve([]);
      return asProvider(pool, (client) => listRows(client, query));
    },
    byId: async (id) => {
      if (!UUID.test(id)) return null;
      return asProvider(pool, async (client) => {
        const row = (await client.query<Row>('SELECT * FROM bh.break_glass_requests WHERE id = $1', [id])).rows[0];
        return row === undefined ? null : breakGlassFromRow(row);
      });
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

type BreakGlassWrites = Pick<WriteTx, 'insertBreakGlass' | 'breakGlassForUpdate' | 'openBreakGlassForUpdate' | 'updateBreakGlass' | 'indexGrantToken' | 'putBreakGlassSettings'>;

export function postgresBreakGlassWrites(client: pg.PoolClient): BreakGlassWrites {
  return {
    insertBreakGlass: async (record) => {
      await enterTenant(client, record.tenantId);
      const columns = breakGlassColumns(record);
      await client.query<Row>(insertSql, BREAK_GLASS_COLUMNS.map((column) => columns[column]));
    },
    breakGlassForUpdate: async (tenantId, id) => {
      if (!UUID.test(id)) return null;
      await enterTenant(client, tenantId);
      const row = (await client.query<Row>('SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id])).rows[0];
      return row === undefined ? null : breakGlassFromRow(row);
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
      const columns = breakGlassColumns(record);
      await client.query<Row>(updateSql, [record.tenantId, record.id, ...BREAK_GLASS_MUTABLE_COLUMNS.map((column) => columns[column])]);
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

type BreakGlassScopeReads = Pick<TenantScope, 'breakGlassRequests' | 'breakGlassRequest' | 'breakGlassByGrantHash' | 'breakGlassSettings'>;

/** The tenant scope's break-glass reads; `read` runs a read-only transaction in the tenant's context. */
export function postgresBreakGlassScope(tenantId: string, read: <T>(fn: (client: Queryable) => Promise<T>) => Promise<T>): BreakGlassScopeReads {
  return {
    breakGlassRequests: (query) => read((client) => listRows(client, { ...query, tenantId })),
    breakGlassRequest: async (id) => {
      if (!UUID.test(id)) return null;
      return read(async (client) => {
        const row = (await client.query<Row>('SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND id = $2', [tenantId, id])).rows[0];
        return row === undefined ? null : breakGlassFromRow(row);
      });
    },
    breakGlassByGrantHash: (grantHash) =>
      read(async (client) => {
        const row = (await client.query<Row>('SELECT * FROM bh.break_glass_requests WHERE tenant_id = $1 AND grant_hash = $2', [tenantId, grantHash])).rows[0];
        return row === undefined ? null : breakGlassFromRow(row);
      }),
    breakGlassSettings: () =>
      read(async (client) => {
        const row = (await client.query<Row>('SELECT required_approvals, updated_at FROM bh.break_glass_settings WHERE tenant_id = $1', [tenantId])).rows[0];
        return row === undefined ? null : { requiredApprovals: Number(row.required_approvals), updatedAt: String(row.updated_at) };
      }),
  };
}
