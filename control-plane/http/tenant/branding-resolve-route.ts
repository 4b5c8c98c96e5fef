import type { FastifyInstance } from 'fastify';
import { ResolveBrandingQuery, ResolvedBrand } from '../../../contracts/branding';
import type { RouteContext } from '../context';
import { limited, requestLimits } from '../request-limits';
import { contract } from '../route-contract';
import { parseWith } from '../validation';

/**
 * GET /v1/branding/resolve?host=: the brand a sign-in wall on that host shows, without a credential
 * (nobody is signed in yet). It answers the default brand for anything that does not resolve.
 */
export function brandingResolveRoute(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get(
      '/v1/branding/resolve',
      limited(contract({ summary: "The brand for a host (a custom domain or <slug>.<base domain>), else the default brand; never another tenant's", credential: 'none', query: ResolveBrandingQuery, responses: { 200: ResolvedBrand } }), requestLimits.brandResolve),
      async (request, reply) => {
        const { host } = parseWith(ResolveBrandingQuery, request.query, 'query');
        const brand = await ctx.brandResolver.resolve(host ?? request.headers.host);
        // The answer depends on the Host header when ?host= is absent: no shared cache may keep it for another host.
        return reply.header('cache-control', 'no-store').header('vary', 'Host').send(brand);
      },
    );
    return Promise.resolve();
  };
}
