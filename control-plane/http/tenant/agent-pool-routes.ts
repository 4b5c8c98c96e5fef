import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Uuid } from '../../../contracts/common';
import { CreateAgentPoolRequest } from '../../../contracts/agents';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { poolView } from '../views';

const PoolParams = z.strictObject({ id: Uuid });

/** Agent rollout for tenant admins: bootstrap pools and their tokens (tenancy/agent-service.ts). */
export function agentPoolRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/agent-pools', async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const body = parseWith(CreateAgentPoolRequest, request.body);
      return reply.code(201).send(poolView(await ctx.agents.createPool(tenant, actor.label, body)));
    });

    app.get('/v1/agent-pools', async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:read');
      return { items: (await ctx.agents.pools(tenant)).map(poolView), next_cursor: null };
    });

    app.post('/v1/agent-pools/:id/tokens', async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'agents:write');
      const { id } = parseWith(PoolParams, request.params, 'path');
      return reply.code(201).send(await ctx.agents.mintBootstrapToken(tenant, actor.label, id));
    });
    return Promise.resolve();
  };
}
