import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, Uuid } from '../../../contracts/common';
import { AgentPool, AgentView, BootstrapTokenCreated, CreateAgentPoolRequest } from '../../../contracts/agents';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { agentView, poolView } from '../views';
import { contract } from '../route-contract';

const PoolParams = z.strictObject({ id: Uuid });

/** Agent rollout for tenant admins: bootstrap pools and their tokens (tenancy/agent-service.ts). */
export function agentPoolRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/agent-pools', contract({ summary: 'Make an agent bootstrap pool', credential: 'tenant', body: CreateAgentPoolRequest, responses: { 201: AgentPool } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const body = parseWith(CreateAgentPoolRequest, request.body);
      return reply.code(201).send(poolView(await ctx.agents.createPool(tenant, actor.label, body)));
    });

    app.get('/v1/agent-pools', contract({ summary: 'The bootstrap pools', credential: 'tenant', responses: { 200: pageOf(AgentPool) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:read');
      return { items: (await ctx.agents.pools(tenant)).map(poolView), next_cursor: null };
    });

    app.get('/v1/agents', contract({ summary: 'The enrolled agents', credential: 'tenant', responses: { 200: pageOf(AgentView) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:read');
      return { items: (await ctx.agents.agents(tenant)).map(agentView), next_cursor: null };
    });

    app.post('/v1/agent-pools/:id/tokens', contract({ summary: "Mint a pool's bootstrap token (bhb_, shown once)", credential: 'tenant', params: PoolParams, responses: { 201: BootstrapTokenCreated } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const { id } = parseWith(PoolParams, request.params, 'path');
      return reply.code(201).send(await ctx.agents.mintBootstrapToken(tenant, actor.label, id));
    });
    return Promise.resolve();
  };
}
