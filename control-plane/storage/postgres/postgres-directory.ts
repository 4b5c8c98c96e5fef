import type pg from 'pg';
import { DirectoryConflict, type DirectoryPage, type DirectoryScope, type DirectoryWrites } from '../directory';
import { count, text } from '../rows/columns';
import { GROUP_COLUMNS, GROUP_MUTABLE_COLUMNS, MEMBERSHIP_ORDER, USER_COLUMNS, USER_MUTABLE_COLUMNS, groupColumns, groupFromRow, membershipFromRow, membershipSelect, userColumns, userFromRow } from '../rows/directory-rows';
import type { TenantRef } from '../tenants';
import { enterControl, insertSql, updateSql, UUID, uuids, valuesOf, type Row, type TenantRead } from './tenant-context';

/** A tenant's directory, in its control schema (its own when siloed, bh otherwise); every statement in the tenant's context. */

/** LIMIT/OFFSET of a directory page (NULL: no limit). */
function pageValues(page: DirectoryPage | undefined): [number | null, number] {
  return page === undefined ? [null, 0] : [page.limit, page.offset];
}

/** Runs a write, turning a unique violation into the directory's conflict (the transaction is then rolled back). */
async function uniqueOr<T>(constraint: DirectoryConflict['constraint'], write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === '23505') {
      throw new DirectoryConflict(constraint);
    }
    throw error;
  }
}

/** `read` runs a read-only transaction in the tenant's context; `schema` holds its control data. */
export function postgresDirectoryScope(tenantId: string, schema: string, read: TenantRead): DirectoryScope {
  /** The tenant's rows of a table; `rest` follows `WHERE tenant_id = $1`. */
  const rows = (table: string, rest: string, values: unknown[]) => read(async (client) => (await client.query<Row>(`SELECT * FROM ${schema}.${table} WHERE tenant_id = $1 ${rest}`, [tenantId, ...values])).rows);
  const memberships = `${membershipSelect((table) => `${schema}.${table}`)} WHERE m.tenant_id = $1`;
  return {
    users: async (page) => (await rows('tenant_users', 'ORDER BY created_at, id LIMIT $2 OFFSET $3', pageValues(page))).map(userFromRow),
    usersByIds: async (ids) => (await rows('tenant_users', 'AND id = ANY($2::uuid[]) ORDER BY created_at, id', [uuids(ids)])).map(userFromRow),
    userByUserName: async (userName) => {
      const [row] = await rows('tenant_users', 'AND lower(user_name) = lower($2)', [userName]);
      return row ? userFromRow(row) : null;
    },
    usersByExternalId: async (externalId) => (await rows('tenant_users', 'AND external_id = $2 ORDER BY created_at, id', [externalId])).map(userFromRow),
    groups: async (page) => (await rows('tenant_groups', 'ORDER BY created_at, id LIMIT $2 OFFSET $3', pageValues(page))).map(groupFromRow),
    groupsByIds: async (ids) => (await rows('tenant_groups', 'AND id = ANY($2::uuid[]) ORDER BY created_at, id', [uuids(ids)])).map(groupFromRow),
    groupByDisplayName: async (displayName) => {
      const [row] = await rows('tenant_groups', 'AND lower(display_name) = lower($2)', [displayName]);
      return row ? groupFromRow(row) : null;
    },
    groupsByExternalId: async (externalId) => (await rows('tenant_groups', 'AND external_id = $2 ORDER BY created_at, id', [externalId])).map(groupFromRow),
    memberships: (of) =>
      read(async (client) => {
        const result =
          of === undefined
            ? await client.query<Row>(memberships + MEMBERSHIP_ORDER, [tenantId])
            : 'groupIds' in of
              ? await client.query<Row>(`${memberships} AND m.group_id = ANY($2::uuid[])${MEMBERSHIP_ORDER}`, [tenantId, uuids(of.groupIds)])
              : await client.query<Row>(`${memberships} AND m.user_id = ANY($2::uuid[])${MEMBERSHIP_ORDER}`, [tenantId, uuids(of.userIds)]);
        return result.rows.map(membershipFromRow);
      }),
    groupCount: () => read(async (client) => count((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${schema}.tenant_groups WHERE tenant_id = $1`, [tenantId])).rows[0]?.n ?? 0)),
  };
}

/** Writes inside the caller's transaction, each in the tenant's context. */
export function postgresDirectoryWrites(client: pg.PoolClient): DirectoryWrites {
  const enter = (tenant: TenantRef) => enterControl(client, tenant);
  const changed = (result: { rowCount: number | null }) => (result.rowCount ?? 0) === 1;
  return {
    countTenantUsers: async (tenant) => {
      const { query, table } = await enter(tenant);
      // Serializes user creations of this tenant (on every replica) until this transaction ends.
      await query('SELECT pg_advisory_xact_lock(4242003, hashtext($1))', [tenant.id]);
      return count((await query(`SELECT COUNT(*) AS n FROM ${table('tenant_users')} WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
    },
    tenantUserForUpdate: async (tenant, userId) => {
      if (!UUID.test(userId)) return null;
      const { query, table } = await enter(tenant);
      const row = (await query(`SELECT * FROM ${table('tenant_users')} WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenant.id, userId])).rows[0];
      return row ? userFromRow(row) : null;
    },
    insertTenantUser: async (tenant, user) => {
      const { query, table } = await enter(tenant);
      await uniqueOr('user_name', () => query(insertSql(table('tenant_users'), USER_COLUMNS), valuesOf(userColumns(tenant.id, user), USER_COLUMNS)));
    },
    updateTenantUser: async (tenant, user) => {
      if (!UUID.test(user.id)) return false;
      const { query, table } = await enter(tenant);
      const values = valuesOf(userColumns(tenant.id, user), ['tenant_id', 'id', ...USER_MUTABLE_COLUMNS]);
      return changed(await uniqueOr('user_name', () => query(updateSql(table('tenant_users'), USER_MUTABLE_COLUMNS), values)));
    },
    deleteTenantUser: async (tenant, userId) => {
      if (!UUID.test(userId)) return false;
      const { query, table } = await enter(tenant);
      // The user first: it waits for transactions that hold it (lockTenantUsers), so their new memberships go too.
      const deleted = changed(await query(`DELETE FROM ${table('tenant_users')} WHERE tenant_id = $1 AND id = $2`, [tenant.id, userId]));
      await query(`DELETE FROM ${table('group_members')} WHERE tenant_id = $1 AND user_id = $2`, [tenant.id, userId]);
      await query(`DELETE FROM ${table('tenant_identity_links')} WHERE tenant_id = $1 AND user_id = $2`, [tenant.id, userId]);
      return deleted;
    },
    lockTenantUsers: async (tenant, userIds) => {
      const ids = uuids(userIds);
      if (ids.length === 0) return [];
      const { query, table } = await enter(tenant);
      const { rows } = await query(`SELECT id FROM ${table('tenant_users')} WHERE tenant_id = $1 AND id = ANY($2::uuid[]) FOR KEY SHARE`, [tenant.id, ids]);
      return rows.map((row) => text.parse(row.id));
    },
    tenantGroupForUpdate: async (tenant, groupId) => {
      if (!UUID.test(groupId)) return null;
      const { query, table } = await enter(tenant);
      const row = (await query(`SELECT * FROM ${table('tenant_groups')} WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenant.id, groupId])).rows[0];
      return row ? groupFromRow(row) : null;
    },
    insertTenantGroup: async (tenant, group) => {
      const { query, table } = await enter(tenant);
      await uniqueOr('group_display_name', () => query(insertSql(table('tenant_groups'), GROUP_COLUMNS), valuesOf(groupColumns(tenant.id, group), GROUP_COLUMNS)));
    },
    updateTenantGroup: async (tenant, group) => {
      if (!UUID.test(group.id)) return false;
      const { query, table } = await enter(tenant);
      const values = valuesOf(groupColumns(tenant.id, group), ['tenant_id', 'id', ...GROUP_MUTABLE_COLUMNS]);
      return changed(await uniqueOr('group_display_name', () => query(updateSql(table('tenant_groups'), GROUP_MUTABLE_COLUMNS), values)));
    },
    deleteTenantGroup: async (tenant, groupId) => {
      if (!UUID.test(groupId)) return false;
      const { query, table } = await enter(tenant);
      const deleted = changed(await query(`DELETE FROM ${table('tenant_groups')} WHERE tenant_id = $1 AND id = $2`, [tenant.id, groupId]));
      await query(`DELETE FROM ${table('group_members')} WHERE tenant_id = $1 AND group_id = $2`, [tenant.id, groupId]);
      return deleted;
    },
    groupMemberIds: async (tenant, groupId) => {
      if (!UUID.test(groupId)) return [];
      const { query, table } = await enter(tenant);
      const { rows } = await query(`SELECT user_id FROM ${table('group_members')} WHERE tenant_id = $1 AND group_id = $2 ORDER BY user_id`, [tenant.id, groupId]);
      return rows.map((row) => text.parse(row.user_id));
    },
    addGroupMembers: async (tenant, groupId, userIds) => {
      const ids = uuids(userIds);
      if (ids.length === 0 || !UUID.test(groupId)) return;
      const { query, table } = await enter(tenant);
      await query(`INSERT INTO ${table('group_members')} (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`, [tenant.id, groupId, ids]);
    },
    removeGroupMembers: async (tenant, groupId, userIds) => {
      const ids = uuids(userIds);
      if (ids.length === 0 || !UUID.test(groupId)) return;
      const { query, table } = await enter(tenant);
      await query(`DELETE FROM ${table('group_members')} WHERE tenant_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[])`, [tenant.id, groupId, ids]);
    },
  };
}
