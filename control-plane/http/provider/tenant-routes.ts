import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PageQuery } from '../../../contracts/common';
import { CreateTenantRequest, PatchTenantRequest, Quotas, StateChangeRequest, TenantState } from '../../../contracts/tenants';
import { ApiError } from '../../errors';
import { licenseNow, operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const TenantListQuery = PageQuery.extend({ state: TenantState.optional() });

/** /provider/v1/tenants: create, list, get, patch, suspend, resume, delete, quotas; and /provider/v1/license. */
export function tenantRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/license', async (request) => {
      await operatorWith(ctx, request, 'license:read');
      const license = licenseNow(ctx);
      return {
        licensee: license.licensee,
        tier: license.tier,
        tenant_band: license.tenant_band,
        tenants_used: await ctx.tenants.countLive(),
        expires_at: license.expires_at,
      };
    });

    app.post('/provider/v1/tenants', async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:write');
      const body = parseWith(CreateTenantRequest, request.body);
      licenseNow(ctx);
      return reply.code(201).send(await ctx.tenants.create(body, actor));
    });

    app.get('/provider/v1/tenants', async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const query = parseWith(TenantListQuery, request.query, 'query');
      return ctx.tenants.list(query);
    });

    app.get('/provider/v1/tenants/:tenant', async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.tenants.view(await ctx.tenants.resolve(tenant));
    });

    app.patch('/provider/v1/tenants/:tenant', async (request) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PatchTenantRequest, request.body);
      if (body.slug !== undefined) {
        throw new ApiError(400, 'slug_immutable', 'A tenant slug never changes; create a new tenant for a new slug.', { path: 'slug' });
      }
      return ctx.tenants.update(tenant, body, actor);
    });

    for (const [action, target] of [
      ['suspend', 'suspended'],
      ['resume', 'active'],
    ] as const) {
      app.post(`/provider/v1/tenants/:tenant/${action}`, async (request) => {
        const { actor } = await operatorWith(ctx, request, 'tenants:lifecycle');
        const { tenant } = parseWith(TenantParams, request.params, 'path');
        const { reason } = parseWith(StateChangeRequest, request.body);
        return ctx.tenants.setState(tenant, target, reason, actor);
      });
    }

    app.delete('/provider/v1/tenants/:tenant', async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:lifecycle');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      await ctx.tenants.delete(tenant, actor);
      return reply.code(204).send();
    });

    app.get('/provider/v1/tenants/:tenant/quotas', async (request) => {
      await operatorWith(ctx, request, 'quotas:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.tenants.quotas(tenant);
    });

    app.put('/provider/v1/tenants/:tenant/quotas', async (request) => {
      const { actor } = await operatorWith(ctx, request, 'quotas:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const quotas = parseWith(Quotas, request.body);
      return ctx.tenants.setQuotas(tenant, quotas, actor);
    });
    return Promise.resolve();
  };
}
