import type Database from 'better-sqlite3';
import { DirectoryConflict, type DirectoryPage, type DirectoryScope, type DirectoryUser, type DirectoryWrites } from '../directory';
import { GROUP_COLUMNS, GROUP_MUTABLE_COLUMNS, MEMBERSHIP_ORDER, USER_COLUMNS, USER_MUTABLE_COLUMNS, groupColumns, groupFromRow, membershipFromRow, membershipSelect, userColumns, userFromRow } from '../rows/directory-rows';
import { done, insertSql, updateSql, type SqliteTx } from './connection';

/** A tenant's directory, in its control store (its silo, or the shared control store). */
const insertUser = insertSql('tenant_users', USER_COLUMNS);
const updateUser = updateSql('tenant_users', USER_MUTABLE_COLUMNS);
const insertGroup = insertSql('tenant_groups', GROUP_COLUMNS);
const updateGroup = updateSql('tenant_groups', GROUP_MUTABLE_COLUMNS);
const memberships = `${membershipSelect((table) => table)} WHERE m.tenant_id = ?`;

/** LIMIT/OFFSET of a directory page (-1: no limit). */
function pageParams(page: DirectoryPage | undefined): { limit: number; offset: number } {
  return page === undefined ? { limit: -1, offset: 0 } : { limit: page.limit, offset: page.offset };
}

/** SQLite binds no booleans: `active` is 0/1. */
const userParams = (tenantId: string, user: DirectoryUser) => ({ ...userColumns(tenantId, user), active: user.active ? 1 : 0 });

/** Runs a write, turning a unique violation into the directory's conflict (the transaction is then rolled back). */
function uniqueOr<T>(constraint: DirectoryConflict['constraint'], write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new DirectoryConflict(constraint);
    }
    throw error;
  }
}

/** `control` opens the tenant's control store on first use. */
export function sqliteDirectoryScope(tenantId: string, control: () => Database.Database): DirectoryScope {
  const users = (sql: string, ...params: unknown[]) => Promise.resolve(control().prepare(`SELECT * FROM tenant_users WHERE ${sql}`).all(...params).map(userFromRow));
  const groups = (sql: string, ...params: unknown[]) => Promise.resolve(control().prepare(`SELECT * FROM tenant_groups WHERE ${sql}`).all(...params).map(groupFromRow));
  const first = (table: string, column: string, value: string) => control().prepare(`SELECT * FROM ${table} WHERE tenant_id = ? AND lower(${column}) = lower(?)`).get(tenantId, value);
  return {
    users: (page) => users('tenant_id = @tenantId ORDER BY created_at, id LIMIT @limit OFFSET @offset', { tenantId, ...pageParams(page) }),
    usersByIds: (ids) => users('tenant_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id', tenantId, JSON.stringify(ids)),
    userByUserName: (userName) => {
      const row = first('tenant_users', 'user_name', userName);
      return Promise.resolve(row === undefined ? null : userFromRow(row));
    },
    usersByExternalId: (externalId) => users('tenant_id = ? AND external_id = ? ORDER BY created_at, id', tenantId, externalId),
    groups: (page) => groups('tenant_id = @tenantId ORDER BY created_at, id LIMIT @limit OFFSET @offset', { tenantId, ...pageParams(page) }),
    groupsByIds: (ids) => groups('tenant_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id', tenantId, JSON.stringify(ids)),
    groupByDisplayName: (displayName) => {
      const row = first('tenant_groups', 'display_name', displayName);
      return Promise.resolve(row === undefined ? null : groupFromRow(row));
    },
    groupsByExternalId: (externalId) => groups('tenant_id = ? AND external_id = ? ORDER BY created_at, id', tenantId, externalId),
    memberships(of) {
      const db = control();
      const rows =
        of === undefined
          ? db.prepare(memberships + MEMBERSHIP_ORDER).all(tenantId)
          : 'groupIds' in of
            ? db.prepare(`${memberships} AND m.group_id IN (SELECT value FROM json_each(?))${MEMBERSHIP_ORDER}`).all(tenantId, JSON.stringify(of.groupIds))
            : db.prepare(`${memberships} AND m.user_id IN (SELECT value FROM json_each(?))${MEMBERSHIP_ORDER}`).all(tenantId, JSON.stringify(of.userIds));
      return Promise.resolve(rows.map(membershipFromRow));
    },
    groupCount: () => Promise.resolve(control().prepare('SELECT COUNT(*) FROM tenant_groups WHERE tenant_id = ?').pluck().get(tenantId) as number),
  };
}

/** Writes inside the caller's transaction: BEGIN IMMEDIATE holds the write lock for all of it, so a read is already "for update". */
export function sqliteDirectoryWrites(tx: SqliteTx): DirectoryWrites {
  return {
    countTenantUsers: (tenant) => Promise.resolve(tx.store(tenant).prepare('SELECT COUNT(*) FROM tenant_users WHERE tenant_id = ?').pluck().get(tenant.id) as number),
    tenantUserForUpdate: (tenant, userId) => {
      const row = tx.store(tenant).prepare('SELECT * FROM tenant_users WHERE tenant_id = ? AND id = ?').get(tenant.id, userId);
      return Promise.resolve(row === undefined ? null : userFromRow(row));
    },
    insertTenantUser: (tenant, user) => {
      uniqueOr('user_name', () => tx.store(tenant).prepare(insertUser).run(userParams(tenant.id, user)));
      return done;
    },
    updateTenantUser: (tenant, user) => Promise.resolve(uniqueOr('user_name', () => tx.store(tenant).prepare(updateUser).run(userParams(tenant.id, user)).changes === 1)),
    deleteTenantUser: (tenant, userId) => {
      const db = tx.store(tenant);
      const deleted = db.prepare('DELETE FROM tenant_users WHERE tenant_id = ? AND id = ?').run(tenant.id, userId).changes === 1;
      db.prepare('DELETE FROM group_members WHERE tenant_id = ? AND user_id = ?').run(tenant.id, userId);
      db.prepare('DELETE FROM tenant_identity_links WHERE tenant_id = ? AND user_id = ?').run(tenant.id, userId);
      return Promise.resolve(deleted);
    },
    lockTenantUsers: (tenant, userIds) =>
      // The whole transaction holds the write lock already: nothing else can delete them meanwhile.
      Promise.resolve(tx.store(tenant).prepare('SELECT id FROM tenant_users WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))').pluck().all(tenant.id, JSON.stringify(userIds)) as string[]),
    tenantGroupForUpdate: (tenant, groupId) => {
      const row = tx.store(tenant).prepare('SELECT * FROM tenant_groups WHERE tenant_id = ? AND id = ?').get(tenant.id, groupId);
      return Promise.resolve(row === undefined ? null : groupFromRow(row));
    },
    insertTenantGroup: (tenant, group) => {
      uniqueOr('group_display_name', () => tx.store(tenant).prepare(insertGroup).run(groupColumns(tenant.id, group)));
      return done;
    },
    updateTenantGroup: (tenant, group) =>
      Promise.resolve(uniqueOr('group_display_name', () => tx.store(tenant).prepare(updateGroup).run(groupColumns(tenant.id, group)).changes === 1)),
    deleteTenantGroup: (tenant, groupId) => {
      const db = tx.store(tenant);
      const deleted = db.prepare('DELETE FROM tenant_groups WHERE tenant_id = ? AND id = ?').run(tenant.id, groupId).changes === 1;
      db.prepare('DELETE FROM group_members WHERE tenant_id = ? AND group_id = ?').run(tenant.id, groupId);
      return Promise.resolve(deleted);
    },
    groupMemberIds: (tenant, groupId) =>
      Promise.resolve(tx.store(tenant).prepare('SELECT user_id FROM group_members WHERE tenant_id = ? AND group_id = ? ORDER BY user_id').pluck().all(tenant.id, groupId) as string[]),
    addGroupMembers: (tenant, groupId, userIds) => {
      const insert = tx.store(tenant).prepare('INSERT INTO group_members (tenant_id, group_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      for (const userId of userIds) {
        insert.run(tenant.id, groupId, userId);
      }
      return done;
    },
    removeGroupMembers: (tenant, groupId, userIds) => {
      const remove = tx.store(tenant).prepare('DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?');
      for (const userId of userIds) {
        remove.run(tenant.id, groupId, userId);
      }
      return done;
    },
  };
}
