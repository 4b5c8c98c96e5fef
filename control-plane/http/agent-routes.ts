import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Uuid } from '../../contracts/common';
import { CreateAgentPoolRequest, EnrollRequest, type AgentPool } from '../../contracts/agents';
import { tenantLedger } from '../audit/ledger-ids';
import type { TenantAuth } from '../auth/tenant-auth';
import { hashToken, newToken } from '../auth/tokens';
import type { AgentPoolRecord } from '../storage/types';
import { assertWithinQuota } from '../tenancy/quota-check';
import type { ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

const PoolParams = z.strictObject({ id: Uuid });
/** Agent tokens are long-lived credentials of a machine; rotation comes with agent management. */
const AGENT_TOKEN_SECONDS = 365 * 24 * 3600;

function poolView(pool: AgentPoolRecord): AgentPool {
  return { id: pool.id, name: pool.name, ttl_seconds: pool.ttlSeconds, default_group: pool.defaultGroup, created_at: pool.createdAt };
}

/**
 * Agent rollout: a tenant admin makes bootstrap pools and mints bootstrap tokens (bhb_, shown once,
 * valid for the pool's TTL); an agent trades one for its own agent token (bha_) at
 * /agent/v1/enroll, within the tenant's max_agents quota. Every step is in the tenant's ledger.
 */
export function agentRoutes(ctx: ProviderContext, tenantAuth: TenantAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/agent-pools', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const body = parseWith(CreateAgentPoolRequest, request.body);
      const pool: AgentPoolRecord = { id: randomUUID(), name: body.name, ttlSeconds: body.ttl_seconds, defaultGroup: body.default_group ?? null, createdAt: ctx.clock().toISOString() };
      await ctx.storage.transaction(async (tx) => {
        await tx.createAgentPool(tenant, pool);
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'AGENT_POOL_CREATED', tenantId: tenant.id, details: poolView(pool) }, pool.createdAt);
      });
      return reply.code(201).send(poolView(pool));
    });

    app.get('/v1/agent-pools', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'agents:read');
      return { items: (await ctx.storage.tenantScope(tenant).agentPools()).map(poolView), next_cursor: null };
    });

    app.post('/v1/agent-pools/:id/tokens', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const { id } = parseWith(PoolParams, request.params, 'path');
      const pool = await ctx.storage.tenantScope(tenant).agentPool(id);
      if (pool === null) {
        throw new ApiError(404, 'not_found', 'This tenant has no agent pool with that id.');
      }
      const token = newToken('bhb_');
      const tokenId = randomUUID();
      const now = ctx.clock();
      const expiresAt = new Date(now.getTime() + pool.ttlSeconds * 1000).toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.createTenantToken(tenant, { id: tokenId, kind: 'bootstrap', name: pool.name, tokenHash: hashToken(token), createdAt: now.toISOString(), expiresAt, revokedAt: null, subjectId: pool.id });
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'BOOTSTRAP_TOKEN_CREATED', tenantId: tenant.id, details: { token_id: tokenId, pool_id: pool.id, expires_at: expiresAt } }, now.toISOString());
      });
      return reply.code(201).send({ id: tokenId, token, pool_id: pool.id, expires_at: expiresAt });
    });

    app.post('/agent/v1/enroll', async (request, reply) => {
      const body = parseWith(EnrollRequest, request.body);
      const { tenant, token: bootstrap } = await tenantAuth.authenticate(`Bearer ${body.bootstrap_token}`, 'bootstrap');
      const pool = bootstrap.subjectId === null ? null : await ctx.storage.tenantScope(tenant).agentPool(bootstrap.subjectId);
      if (pool === null) {
        throw new ApiError(401, 'unauthorized', 'This bootstrap token has no pool any more.');
      }
      const agentId = randomUUID();
      const agentToken = newToken('bha_');
      const now = ctx.clock();
      const at = now.toISOString();
      await ctx.storage.transaction(async (tx) => {
        assertWithinQuota(tenant.quotas, 'max_agents', await tx.countAgents(tenant));
        await tx.createAgent(tenant, { id: agentId, name: body.name, poolId: pool.id, groupName: pool.defaultGroup, createdAt: at });
        await tx.createTenantToken(tenant, {
          id: randomUUID(),
          kind: 'agent',
          name: body.name,
          tokenHash: hashToken(agentToken),
          createdAt: at,
          expiresAt: new Date(now.getTime() + AGENT_TOKEN_SECONDS * 1000).toISOString(),
          revokedAt: null,
          subjectId: agentId,
        });
        await tx.appendLedger(tenantLedger(tenant.id), { actor: `agent:${agentId}`, eventType: 'AGENT_ENROLLED', tenantId: tenant.id, details: { agent_id: agentId, name: body.name, pool_id: pool.id, bootstrap_token_id: bootstrap.id } }, at);
      });
      return reply.code(201).send({ agent_id: agentId, agent_token: agentToken });
    });
    return Promise.resolve();
  };
}
