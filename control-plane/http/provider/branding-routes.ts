import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PutBrandingRequest, TenantBranding } from '../../../contracts/branding';
import { brandingValueProblem } from '../../branding/brand-validation';
import { operatorWith, type RouteContext } from '../context';
import { contract } from '../route-contract';
import { parseWith } from '../validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });

/** GET · PUT /provider/v1/tenants/{tenant}/branding: provider admins and operators; billing viewers have no branding permission. */
export function brandingRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/tenants/:tenant/branding', contract({ summary: "A tenant's white-label brand (the default one until set)", credential: 'operator', params: TenantParams, responses: { 200: TenantBranding } }), async (request) => {
      await operatorWith(ctx, request, 'branding:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.branding.get(tenant);
    });

    app.put(
      '/provider/v1/tenants/:tenant/branding',
      contract({ summary: "Replace a tenant's brand: every value checked (400 invalid_branding names the field), ledgered as BRANDING_CHANGED", credential: 'operator', params: TenantParams, body: PutBrandingRequest, responses: { 200: TenantBranding } }),
      async (request) => {
        const { actor } = await operatorWith(ctx, request, 'branding:write');
        const { tenant } = parseWith(TenantParams, request.params, 'path');
        const problem = brandingValueProblem(request.body);
        if (problem !== null) throw problem;
        return ctx.branding.put(tenant, parseWith(PutBrandingRequest, request.body), actor);
      },
    );
    return Promise.resolve();
  };
}
