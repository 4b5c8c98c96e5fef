import type Database from 'better-sqlite3';
import { SHARED_CONTROL_TABLES, TENANT_COLUMNS, tenantChangeColumns, tenantColumns, tenantFromRow, tenantFromRowCached } from '../rows/tenant-rows';
import type { TenantReader, TenantWrites } from '../tenants';
import { cachedStatement, done, insertSql } from './connection';

/** Tenant rows and their wrapped data keys, in the control store. */
const insertTenant = insertSql('tenants', TENANT_COLUMNS);

export function sqliteTenantReader(db: Database.Database): TenantReader {
  return {
    byId(id) {
      const row = cachedStatement(db, 'SELECT * FROM tenants WHERE id = ?').get(id);
      return Promise.resolve(row === undefined ? null : tenantFromRowCached(row));
    },
    bySlug(slug) {
      const row = db.prepare('SELECT * FROM tenants WHERE slug = ?').get(slug);
      return Promise.resolve(row === undefined ? null : tenantFromRowCached(row));
    },
    list(query) {
      const clauses: string[] = [];
      if (query.state !== undefined) clauses.push('state = @state');
      if (query.after !== undefined) clauses.push('(created_at, id) > (@afterCreatedAt, @afterId)');
      const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
      const rows = db.prepare(`SELECT * FROM tenants ${where} ORDER BY created_at, id LIMIT @limit`).all({
        state: query.state,
        afterCreatedAt: query.after?.createdAt,
        afterId: query.after?.id,
        limit: query.limit,
      });
      return Promise.resolve(rows.map(tenantFromRow));
    },
    countLive: () => Promise.resolve(db.prepare("SELECT COUNT(*) FROM tenants WHERE state != 'deleted'").pluck().get() as number),
  };
}

/** The wrapped data key of a tenant, or null once destroyed. */
export function sqliteTenantDataKey(db: Database.Database, tenantId: string): Promise<Buffer | null> {
  const row = cachedStatement(db, 'SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ?').get(tenantId) as { wrapped_key: Buffer } | undefined;
  return Promise.resolve(row?.wrapped_key ?? null);
}

/** Writes inside the caller's transaction, on the control store. */
export function sqliteTenantWrites(db: Database.Database): TenantWrites {
  const tenants = sqliteTenantReader(db);
  return {
    countLiveTenants: () => tenants.countLive(),
    tenantBySlug: (slug) => tenants.bySlug(slug),
    // BEGIN IMMEDIATE holds the write lock for the whole transaction: a read is already "for update".
    tenantForUpdate: (id) => tenants.byId(id),
    insertTenant(tenant, wrappedDataKey) {
      db.prepare(insertTenant).run(tenantColumns(tenant));
      db.prepare('INSERT INTO tenant_keys (tenant_id, wrapped_key) VALUES (?, ?)').run(tenant.id, wrappedDataKey);
      return done;
    },
    updateTenant(id, change) {
      const columns = tenantChangeColumns(change);
      if (columns.length > 0) {
        db.prepare(`UPDATE tenants SET ${columns.map(([column]) => `${column} = @${column}`).join(', ')} WHERE id = @id`).run({ id, ...Object.fromEntries(columns) });
      }
      return done;
    },
    destroyTenantKey(tenantId) {
      // secure_delete overwrites the freed bytes; the zeroed update first also overwrites the row in place.
      db.prepare('UPDATE tenant_keys SET wrapped_key = zeroblob(length(wrapped_key)) WHERE tenant_id = ?').run(tenantId);
      db.prepare('DELETE FROM tenant_keys WHERE tenant_id = ?').run(tenantId);
      return done;
    },
    purgeTenantData(tenant) {
      for (const table of SHARED_CONTROL_TABLES) {
        db.prepare(`DELETE FROM ${table} WHERE tenant_id = ?`).run(tenant.id);
      }
      if (tenant.isolationModel === 'pooled') {
        // The pooled telemetry goes after the commit, in chunks on its cell's writer thread (see
        // removeTenantStores): deleting a large tenant here would hold this thread and the
        // control store for seconds. Its placement stays until then, so a crash before the end
        // leaves a record of what is left to remove (tenants from before cells get one: cell 0).
        db.prepare('INSERT INTO telemetry_cells (tenant_id, cell) VALUES (?, 0) ON CONFLICT (tenant_id) DO NOTHING').run(tenant.id);
      }
      return done;
    },
  };
}
