import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OidcView, PutOidcRequest } from '../../../contracts/identity';
import { AdminTokenRequest, AdminTokenResponse, CreateRecoveryRequest, RecoveryCompleted, RecoveryIdParam, RecoveryList, RecoveryView } from '../../../contracts/tenants';
import { ApiError } from '../../errors';
import { recoveryView } from '../../tenancy/ownership-service';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { oidcView } from '../views';
import { contract } from '../route-contract';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const CompleteRecoveryRequest = AdminTokenRequest.partial({ expires_in_seconds: true });
const RECOVERY_TOKEN_SECONDS = 7 * 24 * 3600;

/**
 * What the provider does for a tenant it onboards: the onboarding token (a tenant-admin token it
 * mints) and the tenant's IdP settings, both until the customer hands the tenant over; and recovery
 * for a handed-over tenant that lost every credential (see docs/trust-model.md).
 */
export function onboardingRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/tenants/:tenant/admin-tokens', contract({ summary: 'Mint an onboarding token (a tenant-admin token) for a tenant not yet handed over', credential: 'operator', params: TenantParams, body: AdminTokenRequest, responses: { 201: AdminTokenResponse } }), async (request, reply) => {
      const { actor, operator } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(AdminTokenRequest, request.body);
      return reply.code(201).send(await ctx.ownership.mintOnboardingToken(tenant, body, operator, actor.label));
    });

    app.put('/provider/v1/tenants/:tenant/identity/oidc', contract({ summary: "Set a tenant's IdP during onboarding (before handover)", credential: 'operator', params: TenantParams, body: PutOidcRequest, responses: { 200: OidcView } }), async (request) => {
      const { actor } = await operatorWith(ctx, request, 'identity:write');
      const { tenant: ref } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PutOidcRequest, request.body);
      const tenant = await ctx.tenants.resolve(ref);
      if (tenant.state === 'deleted') {
        throw new ApiError(409, 'tenant_deleted', 'The tenant is deleted.');
      }
      if (tenant.handedOverAt !== null) {
        throw new ApiError(409, 'tenant_handed_over', `The tenant was handed over at ${tenant.handedOverAt}: it configures its identity provider in its own plane.`, { handed_over_at: tenant.handedOverAt });
      }
      return oidcView(await ctx.signIn.putSettings(tenant, body, actor.label, 'provider'));
    });

    app.post('/provider/v1/tenants/:tenant/recoveries', contract({ summary: 'Open a recovery request for a tenant that lost every credential (waits 72 h; the tenant may cancel)', credential: 'operator', params: TenantParams, body: CreateRecoveryRequest, responses: { 201: RecoveryView } }), async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(CreateRecoveryRequest, request.body);
      return reply.code(201).send(recoveryView(await ctx.ownership.openRecovery(tenant, body.reason, operator, actor.label)));
    });

    app.get('/provider/v1/tenants/:tenant/recoveries', contract({ summary: "A tenant's recovery requests, newest first", credential: 'operator', params: TenantParams, responses: { 200: RecoveryList } }), async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return { items: (await ctx.ownership.providerRecoveries(tenant)).map(recoveryView) };
    });

    app.post('/provider/v1/recoveries/:id/complete', contract({ summary: 'After the wait: a new onboarding token; the tenant is onboarding again', credential: 'operator', params: RecoveryIdParam, body: CompleteRecoveryRequest, responses: { 201: RecoveryCompleted } }), async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { id } = parseWith(RecoveryIdParam, request.params, 'path');
      const body = parseWith(CompleteRecoveryRequest, request.body);
      const { record, minted } = await ctx.ownership.completeRecovery(id, { expires_in_seconds: body.expires_in_seconds ?? RECOVERY_TOKEN_SECONDS, name: body.name }, operator, actor.label);
      return reply.code(201).send({ ...minted, recovery: recoveryView(record) });
    });
    return Promise.resolve();
  };
}
