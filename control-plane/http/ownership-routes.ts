import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AdminTokenRequest, CancelRecoveryRequest, CreateRecoveryRequest, HandoverRequest, RecoveryIdParam, TenantAdminTokenRequest } from '../../contracts/tenants';
import { tenantLedger } from '../audit/ledger-ids';
import type { TenantAuth } from '../auth/tenant-auth';
import { mintAdminToken, recoveryView, type OwnershipService } from '../tenancy/ownership-service';
import { operatorWith, type ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const CompleteRecoveryRequest = AdminTokenRequest.partial({ expires_in_seconds: true });
const RECOVERY_TOKEN_SECONDS = 7 * 24 * 3600;
const LIST_LIMIT = 100;

/**
 * Who holds a tenant: handover (the customer takes ownership with its onboarding token), tenant-owned
 * admin tokens, and recovery (provider side: open, follow, complete after the wait; tenant side:
 * see and cancel). The rules are in tenancy/ownership-service.ts.
 */
export function ownershipRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, ownership: OwnershipService) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/handover', async (request, reply) => {
      const auth = await tenantAuth.authenticate(request.headers.authorization);
      const body = parseWith(HandoverRequest, request.body);
      return reply.code(201).send(await ownership.handover(auth, body));
    });

    app.post('/v1/admin-tokens', async (request, reply) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'identity:write');
      if (!auth.tenantOwned) {
        throw new ApiError(403, 'handover_required', 'Tenant-owned admin tokens are minted after handover, by a credential the tenant owns.');
      }
      const body = parseWith(TenantAdminTokenRequest, request.body);
      const now = ctx.clock();
      const at = now.toISOString();
      const minted = await ctx.storage.transaction(async (tx) => {
        const token = await mintAdminToken(tx, auth.tenant, { name: body.name ?? 'tenant admin', expiresAt: new Date(now.getTime() + body.expires_in_seconds * 1000).toISOString(), createdAt: at, mintedBy: null });
        await tx.appendLedger(tenantLedger(auth.tenant.id), { actor: auth.actor.label, eventType: 'TENANT_ADMIN_TOKEN_CREATED', tenantId: auth.tenant.id, details: { token_id: token.id, name: token.name, expires_at: token.expires_at, owner: 'tenant' } }, at);
        return token;
      });
      return reply.code(201).send(minted);
    });

    app.post('/provider/v1/tenants/:tenant/recoveries', async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(CreateRecoveryRequest, request.body);
      return reply.code(201).send(recoveryView(await ownership.openRecovery(tenant, body.reason, operator, actor.label)));
    });

    app.get('/provider/v1/tenants/:tenant/recoveries', async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const { tenant: ref } = parseWith(TenantParams, request.params, 'path');
      const tenant = await ctx.tenants.resolve(ref);
      return { items: (await ctx.storage.recoveries.list({ tenantId: tenant.id, limit: LIST_LIMIT })).map(recoveryView) };
    });

    app.post('/provider/v1/recoveries/:id/complete', async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { id } = parseWith(RecoveryIdParam, request.params, 'path');
      const body = parseWith(CompleteRecoveryRequest, request.body);
      const { record, minted } = await ownership.completeRecovery(id, { expires_in_seconds: body.expires_in_seconds ?? RECOVERY_TOKEN_SECONDS, name: body.name }, operator, actor.label);
      return reply.code(201).send({ ...minted, recovery: recoveryView(record) });
    });

    app.get('/v1/recoveries', async (request) => {
      const { tenant } = await tenantAuth.authenticate(request.headers.authorization);
      return { items: (await ctx.storage.tenantScope(tenant).recoveries(LIST_LIMIT)).map(recoveryView) };
    });

    app.post('/v1/recoveries/:id/cancel', async (request) => {
      // Any tenant credential: whoever still holds one proves the tenant is not lost.
      const auth = await tenantAuth.authenticate(request.headers.authorization);
      const { id } = parseWith(RecoveryIdParam, request.params, 'path');
      const body = parseWith(CancelRecoveryRequest, request.body);
      return recoveryView(await ownership.cancelRecovery(auth.tenant, id, auth.actor.label, body.reason));
    });
    return Promise.resolve();
  };
}
