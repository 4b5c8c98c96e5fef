import type pg from 'pg';
import { count, text } from '../rows/columns';
import { AGENT_COLUMNS, IDENTITY_COLUMNS, IDENTITY_LINK_COLUMNS, POOL_COLUMNS, PROBE_TEST_COLUMNS, agentColumns, identityColumns, identityFromRow, identityLinkColumns, agentFromRow, poolColumns, poolFromRow, probeTestColumns, probeTestFromRow, roleFromRow, roleMappingFromRow } from '../rows/tenant-setup-rows';
import type { TenantSetupScope, TenantSetupWrites } from '../tenant-setup';
import type { TenantRef } from '../tenants';
import { enterControl, insertSql, UUID, valuesOf, type Row, type TenantRead } from './tenant-context';
import { recordGauge } from './postgres-usage';

/** A tenant's setup in its control schema (its own when siloed, bh otherwise); every statement in the tenant's context. */

/** `read` runs a read-only transaction in the tenant's context; `schema` holds its control data. */
export function postgresTenantSetupScope(tenantId: string, schema: string, read: TenantRead): TenantSetupScope {
  const rows = (sql: string, values: unknown[] = []) => read(async (client) => (await client.query<Row>(sql, [tenantId, ...values])).rows);
  return {
    identity: async () => {
      const [row] = await rows(`SELECT * FROM ${schema}.tenant_identity WHERE tenant_id = $1`);
      return row ? identityFromRow(row) : null;
    },
    identityLink: async (issuer, subject) => {
      const [row] = await rows(`SELECT user_id FROM ${schema}.tenant_identity_links WHERE tenant_id = $1 AND issuer = $2 AND subject = $3`, [issuer, subject]);
      return row ? text.parse(row.user_id) : null;
    },
    counts: () =>
      read(async (client) => {
        const rowsOf = async (table: string) => count((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${schema}.${table} WHERE tenant_id = $1`, [tenantId])).rows[0]?.n ?? 0);
        return { agents: await rowsOf('agents'), users: await rowsOf('tenant_users'), tests: await rowsOf('probe_tests') };
      }),
    agentPools: async () => (await rows(`SELECT * FROM ${schema}.agent_pools WHERE tenant_id = $1 ORDER BY created_at, id`)).map(poolFromRow),
    agents: async () => (await rows(`SELECT * FROM ${schema}.agents WHERE tenant_id = $1 ORDER BY created_at, id`)).map(agentFromRow),
    agentPool: async (id) => {
      if (!UUID.test(id)) return null;
      const [row] = await rows(`SELECT * FROM ${schema}.agent_pools WHERE tenant_id = $1 AND id = $2`, [id]);
      return row ? poolFromRow(row) : null;
    },
    probeTests: async () => (await rows(`SELECT * FROM ${schema}.probe_tests WHERE tenant_id = $1 ORDER BY created_at, id`)).map(probeTestFromRow),
    roles: async () => (await rows(`SELECT name, permissions FROM ${schema}.tenant_roles WHERE tenant_id = $1 ORDER BY name`)).map(roleFromRow),
    roleMappings: async () => (await rows(`SELECT group_name, role FROM ${schema}.role_mappings WHERE tenant_id = $1 ORDER BY group_name, role`)).map(roleMappingFromRow),
  };
}

/** Writes inside the caller's transaction, each in the tenant's context. */
export function postgresTenantSetupWrites(client: pg.PoolClient): TenantSetupWrites {
  const enter = (tenant: TenantRef) => enterControl(client, tenant);
  /** Counts the tenant's rows of a table after taking a lock named `lock` until the transaction ends. */
  const countLocked = async (tenant: TenantRef, lock: string, name: string) => {
    const { query, table } = await enter(tenant);
    await query(`SELECT pg_advisory_xact_lock(hashtext('${lock}' || $1))`, [tenant.id]);
    return count((await query(`SELECT COUNT(*) AS n FROM ${table(name)} WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
  };
  return {
    putIdentity: async (tenant, identity) => {
      const { query, table } = await enter(tenant);
      const update = IDENTITY_COLUMNS.slice(1).map((column) => `${column} = excluded.${column}`);
      await query(`${insertSql(table('tenant_identity'), IDENTITY_COLUMNS)} ON CONFLICT (tenant_id) DO UPDATE SET ${update.join(', ')}`, valuesOf(identityColumns(tenant.id, identity), IDENTITY_COLUMNS));
    },
    setIdentityOwnership: async (tenant, tenantOwnedAt) => {
      const { query, table } = await enter(tenant);
      return ((await query(`UPDATE ${table('tenant_identity')} SET tenant_owned_at = $2 WHERE tenant_id = $1`, [tenant.id, tenantOwnedAt])).rowCount ?? 0) === 1;
    },
    linkIdentity: async (tenant, link) => {
      const { query, table } = await enter(tenant);
      await query(insertSql(table('tenant_identity_links'), IDENTITY_LINK_COLUMNS), valuesOf(identityLinkColumns(tenant.id, link), IDENTITY_LINK_COLUMNS));
    },
    createAgentPool: async (tenant, pool) => {
      const { query, table } = await enter(tenant);
      await query(insertSql(table('agent_pools'), POOL_COLUMNS), valuesOf(poolColumns(tenant.id, pool), POOL_COLUMNS));
    },
    // Serializes enrollments of this tenant on every replica until the transaction ends (max_agents).
    countAgents: (tenant) => countLocked(tenant, 'agents:', 'agents'),
    createAgent: async (tenant, agent) => {
      const { query, table } = await enter(tenant);
      await query(insertSql(table('agents'), AGENT_COLUMNS), valuesOf(agentColumns(tenant.id, agent), AGENT_COLUMNS));
      await recordGauge(client, tenant, 'agents', table('agents'), agent.createdAt);
    },
    // Serializes test creations of this tenant on every replica until the transaction ends (max_tests).
    countProbeTests: (tenant) => countLocked(tenant, 'tests:', 'probe_tests'),
    createProbeTest: async (tenant, test) => {
      const { query, table } = await enter(tenant);
      await query(insertSql(table('probe_tests'), PROBE_TEST_COLUMNS), valuesOf(probeTestColumns(tenant.id, test), PROBE_TEST_COLUMNS));
      await recordGauge(client, tenant, 'tests', table('probe_tests'), test.createdAt);
    },
    updateProbeTestTarget: async (tenant, testId, target) => {
      const { query, table } = await enter(tenant);
      await query(`UPDATE ${table('probe_tests')} SET target = $1 WHERE tenant_id = $2 AND id = $3`, [target, tenant.id, testId]);
    },
    deleteProbeTest: async (tenant, testId, at) => {
      if (!UUID.test(testId)) return false;
      const { query, table } = await enter(tenant);
      const deleted = ((await query(`DELETE FROM ${table('probe_tests')} WHERE tenant_id = $1 AND id = $2`, [tenant.id, testId])).rowCount ?? 0) === 1;
      if (deleted) await recordGauge(client, tenant, 'tests', table('probe_tests'), at);
      return deleted;
    },
    putTenantRoles: async (tenant, roles, at) => {
      const { query, table } = await enter(tenant);
      await query(`DELETE FROM ${table('tenant_roles')} WHERE tenant_id = $1`, [tenant.id]);
      for (const role of roles) {
        await query(`INSERT INTO ${table('tenant_roles')} (tenant_id, name, permissions, updated_at) VALUES ($1, $2, $3, $4)`, [tenant.id, role.name, JSON.stringify(role.permissions), at]);
      }
    },
    putRoleMappings: async (tenant, mappings) => {
      const { query, table } = await enter(tenant);
      await query(`DELETE FROM ${table('role_mappings')} WHERE tenant_id = $1`, [tenant.id]);
      for (const mapping of mappings) {
        await query(`INSERT INTO ${table('role_mappings')} (tenant_id, group_name, role) VALUES ($1, $2, $3)`, [tenant.id, mapping.group, mapping.role]);
      }
    },
  };
}
