import type { FastifyInstance } from 'fastify';
import { ActivateBreakGlassRequest, BreakGlassGrant, BreakGlassIdParam, BreakGlassRequestView, CreateBreakGlassRequest, ProviderBreakGlassListQuery } from '../../../contracts/break-glass';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { breakGlassPageView, breakGlassView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** Break-glass on the provider plane: operators open, follow and activate requests (permission break-glass:request). */
export function providerBreakGlassRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/break-glass', contract({ summary: "Ask a tenant for time-boxed, read-only access to its telemetry", credential: 'operator', body: CreateBreakGlassRequest, responses: { 201: BreakGlassRequestView } }), async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'break-glass:request');
      const body = parseWith(CreateBreakGlassRequest, request.body);
      return reply.code(201).send(breakGlassView(await ctx.breakGlass.open(body, operator, actor.label)));
    });

    app.get('/provider/v1/break-glass', contract({ summary: 'Break-glass requests across tenants', credential: 'operator', query: ProviderBreakGlassListQuery, responses: { 200: pageOf(BreakGlassRequestView) } }), async (request) => {
      await operatorWith(ctx, request, 'break-glass:request');
      const query = parseWith(ProviderBreakGlassListQuery, request.query, 'query');
      return breakGlassPageView(await ctx.breakGlass.providerList(query));
    });

    app.get('/provider/v1/break-glass/:id', contract({ summary: 'One break-glass request', credential: 'operator', params: BreakGlassIdParam, responses: { 200: BreakGlassRequestView } }), async (request) => {
      await operatorWith(ctx, request, 'break-glass:request');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      return breakGlassView(await ctx.breakGlass.providerGet(id));
    });

    app.post('/provider/v1/break-glass/:id/activate', contract({ summary: 'Activate an approved request once: the grant token (bhg_), shown once', credential: 'operator', params: BreakGlassIdParam, body: ActivateBreakGlassRequest, responses: { 201: BreakGlassGrant } }), async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'break-glass:request');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      parseWith(ActivateBreakGlassRequest, request.body);
      const { record, token } = await ctx.breakGlass.activate(id, operator, actor.label);
      return reply.code(201).send({ id: record.id, grant_token: token, expires_at: record.grantExpiresAt, tenant_id: record.tenantId, scope: record.scope });
    });
    return Promise.resolve();
  };
}
