import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AuditQuery, SeqParam } from '../../contracts/audit';
import { AdminTokenRequest } from '../../contracts/tenants';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import type { TenantAuth } from '../auth/tenant-auth';
import { mintAdminToken } from '../tenancy/ownership-service';
import { TenantCrypto } from '../tenancy/tenant-keys';
import { personalOpener } from '../audit/ledger-personal';
import { ledgerPage, proofView, verifyView } from './audit-routes';
import { ApiError } from './errors';
import { operatorWith, type ProviderContext } from './context';
import { parseWith } from './validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });

/**
 * The provider side that hands a tenant its first credential (a tenant-admin token, shown once),
 * and the tenant plane's own routes: its profile and its ledger. Operator tokens never reach the
 * tenant routes (403 no_implicit_access, see route-table.ts).
 */
export function tenantPlaneRoutes(ctx: ProviderContext, tenantAuth: TenantAuth) {
  const crypto = new TenantCrypto(ctx.storage, ctx.deploymentKey);
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/tenants/:tenant/admin-tokens', async (request, reply) => {
      const { actor, operator } = await operatorWith(ctx, request, 'tenant-tokens:create');
      const { tenant: ref } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(AdminTokenRequest, request.body);
      const tenant = await ctx.tenants.resolve(ref);
      if (tenant.state !== 'active') {
        throw new ApiError(409, tenant.state === 'deleted' ? 'tenant_deleted' : 'tenant_suspended', `The tenant is ${tenant.state}; tokens are issued only to active tenants.`);
      }
      if (tenant.handedOverAt !== null) {
        throw new ApiError(409, 'tenant_handed_over', `The tenant was handed over at ${tenant.handedOverAt}: the provider no longer mints its credentials. A tenant that lost every credential gets a new onboarding token through a recovery request.`, {
          handed_over_at: tenant.handedOverAt,
        });
      }
      const now = ctx.clock();
      const createdAt = now.toISOString();
      const expiresAt = new Date(now.getTime() + body.expires_in_seconds * 1000).toISOString();
      const name = body.name ?? 'tenant admin';
      const minted = await ctx.storage.transaction(async (tx) => {
        // An onboarding credential: it carries the operator who minted it, and it ends at handover.
        const token = await mintAdminToken(tx, tenant, { name, expiresAt, createdAt, mintedBy: operator.id });
        const details = { token_id: token.id, kind: 'admin', name, expires_at: expiresAt };
        await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'TENANT_ADMIN_TOKEN_CREATED', tenantId: tenant.id, details }, createdAt);
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'TENANT_ADMIN_TOKEN_CREATED', tenantId: tenant.id, details }, createdAt);
        return token;
      });
      return reply.code(201).send(minted);
    });

    app.get('/v1/tenant', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'profile:read');
      return ctx.tenants.view(tenant);
    });

    app.get('/v1/audit', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const query = parseWith(AuditQuery.omit({ tenant: true }), request.query, 'query');
      return ledgerPage(ctx.storage, tenantLedger(tenant.id), query, await personalOpener(crypto, tenant.id));
    });

    app.get('/v1/audit/verify', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'audit:read');
      return verifyView(await ctx.storage.ledgers.verify(tenantLedger(tenant.id)));
    });

    app.get('/v1/audit/proof/:seq', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      return proofView(ctx.storage, tenantLedger(tenant.id), seq);
    });
    return Promise.resolve();
  };
}
