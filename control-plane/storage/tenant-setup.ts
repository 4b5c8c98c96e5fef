import type { TenantRef } from './tenants';

/**
 * What a tenant sets up in its own plane: its identity provider (and the IdP subjects linked to
 * directory users), agent pools and agents, probe tests, custom roles and group → role mappings.
 */

/** A tenant's own OIDC identity provider; the client secret stays sealed with the tenant's data key. */
export interface TenantIdentityRecord {
  issuer: string;
  clientId: string;
  clientSecretSealed: Buffer;
  claim: string | null;
  groupsClaim: string;
  caPem: string | null;
  updatedAt: string;
  /** Set or confirmed by the tenant in its own plane after handover (when); null: entered by the provider. */
  tenantOwnedAt: string | null;
}

/** An IdP subject linked to a directory user: sign-ins find people by (issuer, subject) only. */
export interface IdentityLink {
  issuer: string;
  subject: string;
  userId: string;
  createdAt: string;
}

export interface ProbeTestRecord {
  id: string;
  name: string;
  /** The probe target (a URL, a host name or an address); tenant data, shown only to the tenant. */
  target: string;
  kind: 'http' | 'dns' | 'icmp';
  intervalS: number;
  createdAt: string;
}

export interface AgentPoolRecord {
  id: string;
  name: string;
  ttlSeconds: number;
  defaultGroup: string | null;
  createdAt: string;
}

export interface AgentRecord {
  id: string;
  name: string;
  poolId: string | null;
  groupName: string | null;
  createdAt: string;
}

/** A custom role (built-in roles live in code). */
export interface TenantRole {
  name: string;
  permissions: string[];
}

/** Members of `group` (an IdP or directory group name) get `role`. */
export interface RoleMapping {
  group: string;
  role: string;
}

/** The setup reads of a tenant's scope. */
export interface TenantSetupScope {
  identity(): Promise<TenantIdentityRecord | null>;
  /** The directory user an IdP subject is linked to, or null. */
  identityLink(issuer: string, subject: string): Promise<string | null>;
  /** What the tenant's quotas count: its agents, directory users and probe tests. */
  counts(): Promise<{ agents: number; users: number; tests: number }>;
  agentPools(): Promise<AgentPoolRecord[]>;
  /** The enrolled agents, oldest first (as many as the max_agents quota allows). */
  agents(): Promise<AgentRecord[]>;
  agentPool(id: string): Promise<AgentPoolRecord | null>;
  probeTests(): Promise<ProbeTestRecord[]>;
  /** Custom roles (built-in roles live in code). */
  roles(): Promise<TenantRole[]>;
  roleMappings(): Promise<RoleMapping[]>;
}

/** The setup's part of a write transaction. */
export interface TenantSetupWrites {
  putIdentity(tenant: TenantRef, identity: TenantIdentityRecord): Promise<void>;
  /** Marks the tenant's identity settings as the tenant's own (at) or the provider's (null); false when it has none. */
  setIdentityOwnership(tenant: TenantRef, tenantOwnedAt: string | null): Promise<boolean>;
  /** Links an IdP subject to a directory user: sign-ins find people by (issuer, subject) only. */
  linkIdentity(tenant: TenantRef, link: IdentityLink): Promise<void>;
  createAgentPool(tenant: TenantRef, pool: AgentPoolRecord): Promise<void>;
  /** Counts the tenant's agents inside the transaction (serialized with other enrollments), for the max_agents quota. */
  countAgents(tenant: TenantRef): Promise<number>;
  /** Also records the `agents` usage gauge (the day's level and peak) in the same transaction. */
  createAgent(tenant: TenantRef, agent: AgentRecord): Promise<void>;
  /** Counts the tenant's tests inside the transaction (serialized with other creations), for the max_tests quota. */
  countProbeTests(tenant: TenantRef): Promise<number>;
  /** Creating and deleting tests also record the `tests` usage gauge in the same transaction (`at`: when). */
  createProbeTest(tenant: TenantRef, test: ProbeTestRecord): Promise<void>;
  deleteProbeTest(tenant: TenantRef, testId: string, at: string): Promise<boolean>;
  /** Replaces a test's stored target (sealing targets stored before they were sealed). */
  updateProbeTestTarget(tenant: TenantRef, testId: string, target: string): Promise<void>;
  /** Replaces the tenant's custom roles. */
  putTenantRoles(tenant: TenantRef, roles: TenantRole[], at: string): Promise<void>;
  /** Replaces the tenant's group → role mappings. */
  putRoleMappings(tenant: TenantRef, mappings: RoleMapping[]): Promise<void>;
}
