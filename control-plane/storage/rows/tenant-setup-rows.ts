import { z } from 'zod';
import { ProbeKind } from '../../../contracts/probe-tests';
import type { AgentPoolRecord, AgentRecord, IdentityLink, ProbeTestRecord, RoleMapping, TenantIdentityRecord, TenantRole } from '../tenant-setup';
import { bytes, integer, json, optionalText, text } from './columns';

/**
 * The rows of a tenant's setup, the same on both engines: tenant_identity, tenant_identity_links,
 * agent_pools, agents, probe_tests, tenant_roles and role_mappings.
 */

/** Columns in insert order; an upsert writes all but the first. */
export const IDENTITY_COLUMNS = ['tenant_id', 'issuer', 'client_id', 'client_secret_sealed', 'claim', 'groups_claim', 'ca_pem', 'updated_at', 'tenant_owned_at'] as const;

const IdentityRow = z.object({
  issuer: text,
  client_id: text,
  client_secret_sealed: bytes,
  claim: optionalText,
  groups_claim: text,
  ca_pem: optionalText,
  updated_at: text,
  tenant_owned_at: optionalText,
});

export function identityFromRow(value: unknown): TenantIdentityRecord {
  const row = IdentityRow.parse(value);
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecretSealed: row.client_secret_sealed,
    claim: row.claim,
    groupsClaim: row.groups_claim,
    caPem: row.ca_pem,
    updatedAt: row.updated_at,
    tenantOwnedAt: row.tenant_owned_at,
  };
}

export function identityColumns(tenantId: string, identity: TenantIdentityRecord): Record<(typeof IDENTITY_COLUMNS)[number], string | Buffer | null> {
  return {
    tenant_id: tenantId,
    issuer: identity.issuer,
    client_id: identity.clientId,
    client_secret_sealed: identity.clientSecretSealed,
    claim: identity.claim,
    groups_claim: identity.groupsClaim,
    ca_pem: identity.caPem,
    updated_at: identity.updatedAt,
    tenant_owned_at: identity.tenantOwnedAt,
  };
}

export const IDENTITY_LINK_COLUMNS = ['tenant_id', 'issuer', 'subject', 'user_id', 'created_at'] as const;

export function identityLinkColumns(tenantId: string, link: IdentityLink): Record<(typeof IDENTITY_LINK_COLUMNS)[number], string> {
  return { tenant_id: tenantId, issuer: link.issuer, subject: link.subject, user_id: link.userId, created_at: link.createdAt };
}

export const POOL_COLUMNS = ['tenant_id', 'id', 'name', 'ttl_seconds', 'default_group', 'created_at'] as const;

const PoolRow = z.object({ id: text, name: text, ttl_seconds: integer, default_group: optionalText, created_at: text });

export function poolFromRow(value: unknown): AgentPoolRecord {
  const row = PoolRow.parse(value);
  return { id: row.id, name: row.name, ttlSeconds: row.ttl_seconds, defaultGroup: row.default_group, createdAt: row.created_at };
}

export function poolColumns(tenantId: string, pool: AgentPoolRecord): Record<(typeof POOL_COLUMNS)[number], string | number | null> {
  return { tenant_id: tenantId, id: pool.id, name: pool.name, ttl_seconds: pool.ttlSeconds, default_group: pool.defaultGroup, created_at: pool.createdAt };
}

export const AGENT_COLUMNS = ['tenant_id', 'id', 'name', 'pool_id', 'group_name', 'created_at'] as const;

export function agentColumns(tenantId: string, agent: AgentRecord): Record<(typeof AGENT_COLUMNS)[number], string | null> {
  return { tenant_id: tenantId, id: agent.id, name: agent.name, pool_id: agent.poolId, group_name: agent.groupName, created_at: agent.createdAt };
}

const AgentRow = z.object({ id: text, name: text, pool_id: optionalText, group_name: optionalText, created_at: text });

export function agentFromRow(value: unknown): AgentRecord {
  const row = AgentRow.parse(value);
  return { id: row.id, name: row.name, poolId: row.pool_id, groupName: row.group_name, createdAt: row.created_at };
}

export const PROBE_TEST_COLUMNS = ['tenant_id', 'id', 'name', 'target', 'kind', 'interval_s', 'created_at'] as const;

const ProbeTestRow = z.object({ id: text, name: text, target: text, kind: ProbeKind, interval_s: integer, created_at: text });

export function probeTestFromRow(value: unknown): ProbeTestRecord {
  const row = ProbeTestRow.parse(value);
  return { id: row.id, name: row.name, target: row.target, kind: row.kind, intervalS: row.interval_s, createdAt: row.created_at };
}

export function probeTestColumns(tenantId: string, test: ProbeTestRecord): Record<(typeof PROBE_TEST_COLUMNS)[number], string | number> {
  return { tenant_id: tenantId, id: test.id, name: test.name, target: test.target, kind: test.kind, interval_s: test.intervalS, created_at: test.createdAt };
}

const RoleRow = z.object({ name: text, permissions: json(z.array(z.string())) });

export function roleFromRow(value: unknown): TenantRole {
  const row = RoleRow.parse(value);
  return { name: row.name, permissions: row.permissions };
}

const RoleMappingRow = z.object({ group_name: text, role: text });

export function roleMappingFromRow(value: unknown): RoleMapping {
  const row = RoleMappingRow.parse(value);
  return { group: row.group_name, role: row.role };
}
