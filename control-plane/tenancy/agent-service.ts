import { randomUUID } from 'node:crypto';
import { tenantLedger } from '../audit/ledger-ids';
import { hashToken, newToken } from '../auth/tokens';
import { ApiError } from '../errors';
import type { AgentPoolRecord, AgentRecord, Storage, TenantRecord, TenantTokenRecord } from '../storage/types';
import { assertWithinQuota } from './quota-check';

/** Agent tokens are long-lived credentials of a machine; rotation comes with agent management. */
const AGENT_TOKEN_SECONDS = 365 * 24 * 3600;

/** A pool as its ledger entry and the API show it. */
export function poolDetails(pool: AgentPoolRecord): { id: string; name: string; ttl_seconds: number; default_group: string | null; created_at: string } {
  return { id: pool.id, name: pool.name, ttl_seconds: pool.ttlSeconds, default_group: pool.defaultGroup, created_at: pool.createdAt };
}

/**
 * Agent rollout: a tenant admin makes bootstrap pools and mints bootstrap tokens (bhb_, shown once,
 * valid for the pool's TTL); an agent trades one for its own agent token (bha_) within the tenant's
 * max_agents quota. Every step is in the tenant's ledger.
 */
export class AgentService {
  constructor(private readonly deps: { storage: Storage; clock: () => Date }) {}

  async createPool(tenant: TenantRecord, actor: string, input: { name: string; ttl_seconds: number; default_group?: string | undefined }): Promise<AgentPoolRecord> {
    const pool: AgentPoolRecord = { id: randomUUID(), name: input.name, ttlSeconds: input.ttl_seconds, defaultGroup: input.default_group ?? null, createdAt: this.deps.clock().toISOString() };
    await this.deps.storage.transaction(async (tx) => {
      await tx.createAgentPool(tenant, pool);
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'AGENT_POOL_CREATED', tenantId: tenant.id, details: poolDetails(pool) }, pool.createdAt);
    });
    return pool;
  }

  pools(tenant: TenantRecord): Promise<AgentPoolRecord[]> {
    return this.deps.storage.tenantScope(tenant).agentPools();
  }

  agents(tenant: TenantRecord): Promise<AgentRecord[]> {
    return this.deps.storage.tenantScope(tenant).agents();
  }

  /** A bootstrap token of a pool: the plaintext is answered once, only its hash is kept. */
  async mintBootstrapToken(tenant: TenantRecord, actor: string, poolId: string): Promise<{ id: string; token: string; pool_id: string; expires_at: string }> {
    const pool = await this.deps.storage.tenantScope(tenant).agentPool(poolId);
    if (pool === null) {
      throw new ApiError(404, 'not_found', 'This tenant has no agent pool with that id.');
    }
    const token = newToken('bhb_');
    const id = randomUUID();
    const now = this.deps.clock();
    const expiresAt = new Date(now.getTime() + pool.ttlSeconds * 1000).toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.createTenantToken(tenant, { id, kind: 'bootstrap', name: pool.name, tokenHash: hashToken(token), createdAt: now.toISOString(), expiresAt, revokedAt: null, subjectId: pool.id });
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'BOOTSTRAP_TOKEN_CREATED', tenantId: tenant.id, details: { token_id: id, pool_id: pool.id, expires_at: expiresAt } }, now.toISOString());
    });
    return { id, token, pool_id: pool.id, expires_at: expiresAt };
  }

  /** An agent trades its bootstrap token (already authenticated) for an agent token of its own. */
  async enroll(tenant: TenantRecord, bootstrap: TenantTokenRecord, name: string): Promise<{ agent_id: string; agent_token: string }> {
    const pool = bootstrap.subjectId === null ? null : await this.deps.storage.tenantScope(tenant).agentPool(bootstrap.subjectId);
    if (pool === null) {
      throw new ApiError(401, 'unauthorized', 'This bootstrap token has no pool any more.');
    }
    const agentId = randomUUID();
    const agentToken = newToken('bha_');
    const now = this.deps.clock();
    const at = now.toISOString();
    await this.deps.storage.transaction(async (tx) => {
      assertWithinQuota(tenant.quotas, 'max_agents', await tx.countAgents(tenant));
      await tx.createAgent(tenant, { id: agentId, name, poolId: pool.id, groupName: pool.defaultGroup, createdAt: at });
      await tx.createTenantToken(tenant, {
        id: randomUUID(),
        kind: 'agent',
        name,
        tokenHash: hashToken(agentToken),
        createdAt: at,
        expiresAt: new Date(now.getTime() + AGENT_TOKEN_SECONDS * 1000).toISOString(),
        revokedAt: null,
        subjectId: agentId,
      });
      await tx.appendLedger(tenantLedger(tenant.id), { actor: `agent:${agentId}`, eventType: 'AGENT_ENROLLED', tenantId: tenant.id, details: { agent_id: agentId, name, pool_id: pool.id, bootstrap_token_id: bootstrap.id } }, at);
    });
    return { agent_id: agentId, agent_token: agentToken };
  }
}
