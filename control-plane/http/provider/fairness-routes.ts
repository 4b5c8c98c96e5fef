import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PageQuery } from '../../../contracts/common';
import { PutFairnessRequest } from '../../../contracts/fairness';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });

/** GET /provider/v1/fairness, GET · PUT /provider/v1/tenants/{tenant}/fairness. */
export function fairnessRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/fairness', async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      return ctx.fairness.page(parseWith(PageQuery, request.query, 'query'));
    });

    app.get('/provider/v1/tenants/:tenant/fairness', async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.fairness.of(await ctx.tenants.resolve(tenant));
    });

    app.put('/provider/v1/tenants/:tenant/fairness', async (request) => {
      const { actor } = await operatorWith(ctx, request, 'fairness:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PutFairnessRequest, request.body);
      const limits = { ingest_rate_per_sec: body.ingest_rate_per_sec, ingest_burst: body.ingest_burst ?? Math.min(100_000_000, body.ingest_rate_per_sec * 2), query_budget: body.query_budget };
      return ctx.fairness.of(await ctx.tenants.setFairness(tenant, limits, actor));
    });
    return Promise.resolve();
  };
}
