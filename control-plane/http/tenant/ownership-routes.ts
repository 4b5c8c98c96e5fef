import type { FastifyInstance } from 'fastify';
import { AdminTokenResponse, CancelRecoveryRequest, HandoverRequest, HandoverResponse, RecoveryIdParam, RecoveryList, RecoveryView, TenantAdminTokenRequest } from '../../../contracts/tenants';
import { recoveryView } from '../../tenancy/ownership-service';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

/**
 * The tenant's side of who holds it: handover (the customer takes ownership with its onboarding
 * token), tenant-owned admin tokens, and recovery requests it sees and may cancel
 * (tenancy/ownership-service.ts, docs/trust-model.md).
 */
export function ownershipRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/handover', contract({ summary: 'Take ownership with the onboarding token: a tenant-owned admin token; every provider-minted credential ends', credential: 'tenant', body: HandoverRequest, responses: { 201: HandoverResponse } }), async (request, reply) => {
      const auth = await ctx.tenantAuth.authenticate(request.headers.authorization);
      const body = parseWith(HandoverRequest, request.body);
      return reply.code(201).send(await ctx.ownership.handover(auth, body));
    });

    app.post('/v1/admin-tokens', contract({ summary: 'Mint a tenant-owned admin token (after handover)', credential: 'tenant', body: TenantAdminTokenRequest, responses: { 201: AdminTokenResponse } }), async (request, reply) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'identity:write');
      const body = parseWith(TenantAdminTokenRequest, request.body);
      return reply.code(201).send(await ctx.ownership.mintTenantAdminToken(auth, body));
    });

    app.get('/v1/recoveries', contract({ summary: "The tenant's recovery requests", credential: 'tenant', responses: { 200: RecoveryList } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authenticate(request.headers.authorization);
      return { items: (await ctx.ownership.tenantRecoveries(tenant)).map(recoveryView) };
    });

    app.post('/v1/recoveries/:id/cancel', contract({ summary: 'Cancel a waiting recovery request', credential: 'tenant', params: RecoveryIdParam, body: CancelRecoveryRequest, responses: { 200: RecoveryView } }), async (request) => {
      // Any tenant credential: whoever still holds one proves the tenant is not lost.
      const auth = await ctx.tenantAuth.authenticate(request.headers.authorization);
      const { id } = parseWith(RecoveryIdParam, request.params, 'path');
      const body = parseWith(CancelRecoveryRequest, request.body);
      return recoveryView(await ctx.ownership.cancelRecovery(auth.tenant, id, auth.actor.label, body.reason));
    });
    return Promise.resolve();
  };
}
