import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, PageQuery } from '../../../contracts/common';
import { FairnessWhatIf, FairnessWhatIfQuery, PutFairnessRequest, TenantFairness } from '../../../contracts/fairness';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });

/** GET /provider/v1/fairness, GET · PUT /provider/v1/tenants/{tenant}/fairness, GET …/fairness/what-if. */
export function fairnessRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/fairness', contract({ summary: "Every live tenant's limits, counters and write lane", credential: 'operator', query: PageQuery, responses: { 200: pageOf(TenantFairness) } }), async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      return ctx.fairness.page(parseWith(PageQuery, request.query, 'query'));
    });

    app.get('/provider/v1/tenants/:tenant/fairness', contract({ summary: "A tenant's fairness limits and counters", credential: 'operator', params: TenantParams, responses: { 200: TenantFairness } }), async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.fairness.of(await ctx.tenants.resolve(tenant));
    });

    app.get(
      '/provider/v1/tenants/:tenant/fairness/what-if',
      contract({ summary: "A tenant's recent offered traffic replayed under proposed ingest limits, beside today's", credential: 'operator', params: TenantParams, query: FairnessWhatIfQuery, responses: { 200: FairnessWhatIf } }),
      async (request) => {
        await operatorWith(ctx, request, 'fairness:read');
        const { tenant } = parseWith(TenantParams, request.params, 'path');
        const query = parseWith(FairnessWhatIfQuery, request.query, 'query');
        return ctx.fairness.whatIf(await ctx.tenants.resolve(tenant), query);
      },
    );

    app.put('/provider/v1/tenants/:tenant/fairness', contract({ summary: "Set a tenant's fairness limits, live on every replica", credential: 'operator', params: TenantParams, body: PutFairnessRequest, responses: { 200: TenantFairness } }), async (request) => {
      const { actor } = await operatorWith(ctx, request, 'fairness:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PutFairnessRequest, request.body);
      const limits = { ingest_rate_per_sec: body.ingest_rate_per_sec, ingest_burst: body.ingest_burst ?? Math.min(100_000_000, body.ingest_rate_per_sec * 2), query_budget: body.query_budget };
      return ctx.fairness.of(await ctx.tenants.setFairness(tenant, limits, actor));
    });
    return Promise.resolve();
  };
}
