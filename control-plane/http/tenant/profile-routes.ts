import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context';
import { contract } from '../route-contract';
import { MeView, Tenant } from '../../../contracts/tenants';

/** The tenant plane's own profile (GET /v1/tenant) and the caller (GET /v1/me). */
export function profileRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/tenant', contract({ summary: "The tenant's own profile", credential: 'tenant', responses: { 200: Tenant } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'profile:read');
      return ctx.tenants.view(tenant);
    });

    app.get('/v1/me', contract({ summary: 'The caller: tenant, person (if a session) and permissions', credential: 'tenant', responses: { 200: MeView } }), async (request) => {
      const auth = await ctx.tenantAuth.authenticate(request.headers.authorization);
      return {
        tenant: { id: auth.tenant.id, slug: auth.tenant.slug, name: auth.tenant.name },
        user: auth.user === null ? null : { id: auth.user.id, user_name: auth.user.userName, roles: auth.user.roles },
        permissions: [...auth.permissions].sort(),
      };
    });
    return Promise.resolve();
  };
}
