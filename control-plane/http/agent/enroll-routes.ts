import type { FastifyInstance } from 'fastify';
import { EnrollRequest } from '../../../contracts/agents';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';

/** POST /agent/v1/enroll: an agent trades a bootstrap token (bhb_) for its own agent token (bha_). */
export function enrollRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/agent/v1/enroll', async (request, reply) => {
      const body = parseWith(EnrollRequest, request.body);
      const { tenant, token } = await ctx.tenantAuth.authenticate(`Bearer ${body.bootstrap_token}`, 'bootstrap');
      return reply.code(201).send(await ctx.agents.enroll(tenant, token, body.name));
    });
    return Promise.resolve();
  };
}
