import type Database from 'better-sqlite3';
import { BREAK_GLASS_COLUMNS, BREAK_GLASS_MUTABLE_COLUMNS, OPEN_BREAK_GLASS_STATES, breakGlassColumns, breakGlassFromRow } from '../break-glass-rows';
import type { BreakGlassListQuery, BreakGlassRecord } from '../types';
import { cachedStatement } from './connection';

/**
 * Break-glass requests and settings in the shared control store (every isolation model). Every
 * tenant-side statement binds tenant_id; the provider-side reads (list across tenants, by id, due)
 * are the provider's view of requests it opened.
 */
export interface SqliteBreakGlass {
  insert(record: BreakGlassRecord): void;
  get(tenantId: string, id: string): BreakGlassRecord | null;
  open(tenantId: string): BreakGlassRecord[];
  update(record: BreakGlassRecord): void;
  indexGrant(tenantId: string, tokenHash: string): void;
  putSettings(tenantId: string, requiredApprovals: number, updatedAt: string): void;
  list(query: BreakGlassListQuery): BreakGlassRecord[];
  byId(id: string): BreakGlassRecord | null;
  due(now: string, limit: number): BreakGlassRecord[];
  byGrantHash(tenantId: string, grantHash: string): BreakGlassRecord | null;
  settings(tenantId: string): { requiredApprovals: number; updatedAt: string } | null;
}

const insertSql = `INSERT INTO break_glass_requests (${BREAK_GLASS_COLUMNS.join(', ')}) VALUES (${BREAK_GLASS_COLUMNS.map((column) => `@${column}`).join(', ')})`;
const updateSql = `UPDATE break_glass_requests SET ${BREAK_GLASS_MUTABLE_COLUMNS.map((column) => `${column} = @${column}`).join(', ')} WHERE tenant_id = @tenant_id AND id = @id`;
const openStates = OPEN_BREAK_GLASS_STATES.map((state) => `'${state}'`).join(', ');

export function sqliteBreakGlass(db: Database.Database): SqliteBreakGlass {
  const one = (row: unknown) => (row === undefined ? null : breakGlassFromRow(row));
  const list = (query: BreakGlassListQuery): BreakGlassRecord[] => {
    const clauses: string[] = [];
    if (query.tenantId !== undefined) clauses.push('tenant_id = @tenantId');
    if (query.state !== undefined) clauses.push('state = @state');
    if (query.after !== undefined) clauses.push('(created_at, id) > (@afterCreatedAt, @afterId)');
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = db.prepare(`SELECT * FROM break_glass_requests ${where} ORDER BY created_at, id LIMIT @limit`).all({
      tenantId: query.tenantId,
      state: query.state,
      afterCreatedAt: query.after?.createdAt,
      afterId: query.after?.id,
      limit: query.limit,
    });
    return rows.map(breakGlassFromRow);
  };
  return {
    insert: (record) => {
      db.prepare(insertSql).run(breakGlassColumns(record));
    },
    // The caller's transaction (BEGIN IMMEDIATE) already holds the write lock: the row cannot change meanwhile.
    get: (tenantId, id) => one(cachedStatement(db, 'SELECT * FROM break_glass_requests WHERE tenant_id = ? AND id = ?').get(tenantId, id)),
    open: (tenantId) => db.prepare(`SELECT * FROM break_glass_requests WHERE tenant_id = ? AND state IN (${openStates}) ORDER BY created_at, id`).all(tenantId).map(breakGlassFromRow),
    update: (record) => {
      db.prepare(updateSql).run(breakGlassColumns(record));
    },
    indexGrant: (tenantId, tokenHash) => {
      db.prepare("INSERT INTO token_index (token_hash, tenant_id, kind) VALUES (?, ?, 'break_glass')").run(tokenHash, tenantId);
    },
    putSettings: (tenantId, requiredApprovals, updatedAt) => {
      db.prepare(
        `INSERT INTO break_glass_settings (tenant_id, required_approvals, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(tenant_id) DO UPDATE SET required_approvals = excluded.required_approvals, updated_at = excluded.updated_at`,
      ).run(tenantId, requiredApprovals, updatedAt);
    },
    list,
    byId: (id) => one(db.prepare('SELECT * FROM break_glass_requests WHERE id = ?').get(id)),
    due: (now, limit) =>
      db
        .prepare(
          `SELECT * FROM break_glass_requests
           WHERE (state IN ('pending', 'approved') AND request_expires_at <= @now) OR (state = 'active' AND grant_expires_at <= @now)
           ORDER BY created_at, id LIMIT @limit`,
        )
        .all({ now, limit })
        .map(breakGlassFromRow),
    byGrantHash: (tenantId, grantHash) => one(cachedStatement(db, 'SELECT * FROM break_glass_requests WHERE tenant_id = ? AND grant_hash = ?').get(tenantId, grantHash)),
    settings: (tenantId) => {
      const row = db.prepare('SELECT required_approvals, updated_at FROM break_glass_settings WHERE tenant_id = ?').get(tenantId) as { required_approvals: number; updated_at: string } | undefined;
      return row === undefined ? null : { requiredApprovals: row.required_approvals, updatedAt: row.updated_at };
    },
  };
}
