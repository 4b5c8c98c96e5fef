import type Database from 'better-sqlite3';
import type { BreakGlassListQuery, BreakGlassReader, BreakGlassRecord, BreakGlassScope, BreakGlassWrites } from '../break-glass';
import { BREAK_GLASS_COLUMNS, BREAK_GLASS_MUTABLE_COLUMNS, OPEN_BREAK_GLASS_STATES, breakGlassColumns, breakGlassFromRow, breakGlassSettingsFromRow } from '../rows/break-glass-rows';
import { cachedStatement, done, insertSql, updateSql } from './connection';

/**
 * Break-glass requests and settings in the shared control store (every isolation model). Every
 * tenant-side statement binds tenant_id; the provider-side reads (list across tenants, by id, due)
 * are the provider's view of requests it opened.
 */
const insertRequest = insertSql('break_glass_requests', BREAK_GLASS_COLUMNS);
const updateRequest = updateSql('break_glass_requests', BREAK_GLASS_MUTABLE_COLUMNS);
const openStates = OPEN_BREAK_GLASS_STATES.map((state) => `'${state}'`).join(', ');

const one = (row: unknown) => (row === undefined ? null : breakGlassFromRow(row));

function list(db: Database.Database, query: BreakGlassListQuery): Promise<BreakGlassRecord[]> {
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
  return Promise.resolve(rows.map(breakGlassFromRow));
}

/** The tenant's request (the caller's BEGIN IMMEDIATE, if any, already holds the write lock: the row cannot change meanwhile). */
const request = (db: Database.Database, tenantId: string, id: string) => Promise.resolve(one(cachedStatement(db, 'SELECT * FROM break_glass_requests WHERE tenant_id = ? AND id = ?').get(tenantId, id)));

export function sqliteBreakGlassReader(db: Database.Database): BreakGlassReader {
  return {
    list: (query) => list(db, query),
    byId: (id) => Promise.resolve(one(db.prepare('SELECT * FROM break_glass_requests WHERE id = ?').get(id))),
    due: (now, limit) =>
      Promise.resolve(
        db
          .prepare(
            `SELECT * FROM break_glass_requests
             WHERE (state IN ('pending', 'approved') AND request_expires_at <= @now) OR (state = 'active' AND grant_expires_at <= @now)
             ORDER BY created_at, id LIMIT @limit`,
          )
          .all({ now, limit })
          .map(breakGlassFromRow),
      ),
  };
}

export function sqliteBreakGlassScope(db: Database.Database, tenantId: string): BreakGlassScope {
  return {
    breakGlassRequests: (query) => list(db, { ...query, tenantId }),
    breakGlassRequest: (id) => request(db, tenantId, id),
    breakGlassByGrantHash: (grantHash) => Promise.resolve(one(cachedStatement(db, 'SELECT * FROM break_glass_requests WHERE tenant_id = ? AND grant_hash = ?').get(tenantId, grantHash))),
    breakGlassSettings: () => {
      const row = db.prepare('SELECT required_approvals, updated_at FROM break_glass_settings WHERE tenant_id = ?').get(tenantId);
      return Promise.resolve(row === undefined ? null : breakGlassSettingsFromRow(row));
    },
  };
}

/** Writes inside the caller's transaction (BEGIN IMMEDIATE holds the store's write lock for the whole transaction: reads are already "for update"). */
export function sqliteBreakGlassWrites(db: Database.Database): BreakGlassWrites {
  return {
    insertBreakGlass: (record) => {
      db.prepare(insertRequest).run(breakGlassColumns(record));
      return done;
    },
    breakGlassForUpdate: (tenantId, id) => request(db, tenantId, id),
    openBreakGlassForUpdate: (tenantId) =>
      Promise.resolve(db.prepare(`SELECT * FROM break_glass_requests WHERE tenant_id = ? AND state IN (${openStates}) ORDER BY created_at, id`).all(tenantId).map(breakGlassFromRow)),
    updateBreakGlass: (record) => {
      db.prepare(updateRequest).run(breakGlassColumns(record));
      return done;
    },
    indexGrantToken: (tenantId, tokenHash) => {
      db.prepare("INSERT INTO token_index (token_hash, tenant_id, kind) VALUES (?, ?, 'break_glass')").run(tokenHash, tenantId);
      return done;
    },
    putBreakGlassSettings: (tenantId, settings) => {
      db.prepare(
        `INSERT INTO break_glass_settings (tenant_id, required_approvals, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(tenant_id) DO UPDATE SET required_approvals = excluded.required_approvals, updated_at = excluded.updated_at`,
      ).run(tenantId, settings.requiredApprovals, settings.updatedAt);
      return done;
    },
  };
}
