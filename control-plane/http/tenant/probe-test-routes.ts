import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, Uuid } from '../../../contracts/common';
import { CreateProbeTestRequest, ProbeTest } from '../../../contracts/probe-tests';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { probeTestView } from '../views';
import { contract } from '../route-contract';

const TestParams = z.strictObject({ id: Uuid });

/** The tenant's probe tests catalog (/v1/tests), within its max_tests quota. */
export function probeTestRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/tests', contract({ summary: 'The probe tests', credential: 'tenant', responses: { 200: pageOf(ProbeTest) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'tests:read');
      return { items: (await ctx.probeTests.list(tenant)).map(probeTestView), next_cursor: null };
    });

    app.post('/v1/tests', contract({ summary: 'Define a probe test (within max_tests)', credential: 'tenant', body: CreateProbeTestRequest, responses: { 201: ProbeTest } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'tests:write');
      const body = parseWith(CreateProbeTestRequest, request.body);
      return reply.code(201).send(probeTestView(await ctx.probeTests.create(tenant, actor.label, body)));
    });

    app.delete('/v1/tests/:id', contract({ summary: 'Delete a probe test', credential: 'tenant', params: TestParams, responses: { 204: null } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'tests:write');
      const { id } = parseWith(TestParams, request.params, 'path');
      await ctx.probeTests.delete(tenant, actor.label, id);
      return reply.code(204).send();
    });
    return Promise.resolve();
  };
}
