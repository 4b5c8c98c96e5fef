import type { FastifyInstance } from 'fastify';
import { EnrollRequest, EnrollResponse } from '../../../contracts/agents';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { limited, requestLimits } from '../request-limits';

/** POST /agent/v1/enroll: an agent trades a bootstrap token (bhb_) for its own agent token (bha_). */
export function enrollRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/agent/v1/enroll', limited(contract({ summary: 'Trade a bootstrap token for an agent token (bha_, shown once)', credential: 'none', body: EnrollRequest, responses: { 201: EnrollResponse } }), requestLimits.agentEnroll), async (request, reply) => {
      const body = parseWith(EnrollRequest, request.body);
      const { tenant, token } = await ctx.tenantAuth.authenticate(`Bearer ${body.bootstrap_token}`, 'bootstrap');
      return reply.code(201).send(await ctx.agents.enroll(tenant, token, body.name));
    });
    return Promise.resolve();
  };
}
