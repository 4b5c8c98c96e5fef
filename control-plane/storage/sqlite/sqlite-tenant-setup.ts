import type Database from 'better-sqlite3';
import { AGENT_COLUMNS, IDENTITY_COLUMNS, IDENTITY_LINK_COLUMNS, POOL_COLUMNS, PROBE_TEST_COLUMNS, agentColumns, identityColumns, identityFromRow, identityLinkColumns, agentFromRow, poolColumns, poolFromRow, probeTestColumns, probeTestFromRow, roleFromRow, roleMappingFromRow } from '../rows/tenant-setup-rows';
import type { TenantSetupScope, TenantSetupWrites } from '../tenant-setup';
import { done, insertSql, type SqliteTx } from './connection';
import { recordGauge } from './sqlite-usage';

/** A tenant's setup in its control store (its silo, or the shared control store). */
const upsertIdentity = `${insertSql('tenant_identity', IDENTITY_COLUMNS)}
  ON CONFLICT(tenant_id) DO UPDATE SET ${IDENTITY_COLUMNS.slice(1)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;
const insertLink = insertSql('tenant_identity_links', IDENTITY_LINK_COLUMNS);
const insertPool = insertSql('agent_pools', POOL_COLUMNS);
const insertAgent = insertSql('agents', AGENT_COLUMNS);
const insertProbeTest = insertSql('probe_tests', PROBE_TEST_COLUMNS);

/** `control` opens the tenant's control store on first use. */
export function sqliteTenantSetupScope(tenantId: string, control: () => Database.Database): TenantSetupScope {
  return {
    identity() {
      const row = control().prepare('SELECT * FROM tenant_identity WHERE tenant_id = ?').get(tenantId);
      return Promise.resolve(row === undefined ? null : identityFromRow(row));
    },
    identityLink: (issuer, subject) =>
      Promise.resolve((control().prepare('SELECT user_id FROM tenant_identity_links WHERE tenant_id = ? AND issuer = ? AND subject = ?').pluck().get(tenantId, issuer, subject) as string | undefined) ?? null),
    counts() {
      const db = control();
      const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table} WHERE tenant_id = ?`).pluck().get(tenantId) as number;
      return Promise.resolve({ agents: count('agents'), users: count('tenant_users'), tests: count('probe_tests') });
    },
    agentPools: () => Promise.resolve(control().prepare('SELECT * FROM agent_pools WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId).map(poolFromRow)),
    agents: () => Promise.resolve(control().prepare('SELECT * FROM agents WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId).map(agentFromRow)),
    agentPool(id) {
      const row = control().prepare('SELECT * FROM agent_pools WHERE tenant_id = ? AND id = ?').get(tenantId, id);
      return Promise.resolve(row === undefined ? null : poolFromRow(row));
    },
    probeTests: () => Promise.resolve(control().prepare('SELECT * FROM probe_tests WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId).map(probeTestFromRow)),
    roles: () => Promise.resolve(control().prepare('SELECT name, permissions FROM tenant_roles WHERE tenant_id = ? ORDER BY name').all(tenantId).map(roleFromRow)),
    roleMappings: () => Promise.resolve(control().prepare('SELECT group_name, role FROM role_mappings WHERE tenant_id = ? ORDER BY group_name, role').all(tenantId).map(roleMappingFromRow)),
  };
}

/** Writes inside the caller's transaction (BEGIN IMMEDIATE: counts are serialized with other creations). */
export function sqliteTenantSetupWrites(tx: SqliteTx): TenantSetupWrites {
  const count = (db: Database.Database, table: string, tenantId: string) => Promise.resolve(db.prepare(`SELECT COUNT(*) FROM ${table} WHERE tenant_id = ?`).pluck().get(tenantId) as number);
  return {
    putIdentity: (tenant, identity) => {
      tx.store(tenant).prepare(upsertIdentity).run(identityColumns(tenant.id, identity));
      return done;
    },
    setIdentityOwnership: (tenant, tenantOwnedAt) =>
      Promise.resolve(tx.store(tenant).prepare('UPDATE tenant_identity SET tenant_owned_at = ? WHERE tenant_id = ?').run(tenantOwnedAt, tenant.id).changes === 1),
    linkIdentity: (tenant, link) => {
      tx.store(tenant).prepare(insertLink).run(identityLinkColumns(tenant.id, link));
      return done;
    },
    createAgentPool: (tenant, pool) => {
      tx.store(tenant).prepare(insertPool).run(poolColumns(tenant.id, pool));
      return done;
    },
    countAgents: (tenant) => count(tx.store(tenant), 'agents', tenant.id),
    createAgent: (tenant, agent) => {
      const db = tx.store(tenant);
      db.prepare(insertAgent).run(agentColumns(tenant.id, agent));
      recordGauge(db, tenant.id, 'agents', 'agents', agent.createdAt);
      return done;
    },
    countProbeTests: (tenant) => count(tx.store(tenant), 'probe_tests', tenant.id),
    createProbeTest: (tenant, test) => {
      const db = tx.store(tenant);
      db.prepare(insertProbeTest).run(probeTestColumns(tenant.id, test));
      recordGauge(db, tenant.id, 'tests', 'probe_tests', test.createdAt);
      return done;
    },
    updateProbeTestTarget: (tenant, testId, target) => {
      tx.store(tenant).prepare('UPDATE probe_tests SET target = ? WHERE tenant_id = ? AND id = ?').run(target, tenant.id, testId);
      return Promise.resolve();
    },
    deleteProbeTest: (tenant, testId, at) => {
      const db = tx.store(tenant);
      const deleted = db.prepare('DELETE FROM probe_tests WHERE tenant_id = ? AND id = ?').run(tenant.id, testId).changes === 1;
      if (deleted) recordGauge(db, tenant.id, 'tests', 'probe_tests', at);
      return Promise.resolve(deleted);
    },
    putTenantRoles: (tenant, roles, at) => {
      const db = tx.store(tenant);
      db.prepare('DELETE FROM tenant_roles WHERE tenant_id = ?').run(tenant.id);
      const insert = db.prepare('INSERT INTO tenant_roles (tenant_id, name, permissions, updated_at) VALUES (?, ?, ?, ?)');
      for (const role of roles) {
        insert.run(tenant.id, role.name, JSON.stringify(role.permissions), at);
      }
      return done;
    },
    putRoleMappings: (tenant, mappings) => {
      const db = tx.store(tenant);
      db.prepare('DELETE FROM role_mappings WHERE tenant_id = ?').run(tenant.id);
      const insert = db.prepare('INSERT INTO role_mappings (tenant_id, group_name, role) VALUES (?, ?, ?)');
      for (const mapping of mappings) {
        insert.run(tenant.id, mapping.group, mapping.role);
      }
      return done;
    },
  };
}
