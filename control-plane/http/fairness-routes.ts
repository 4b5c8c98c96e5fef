import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PageQuery } from '../../contracts/common';
import { PutFairnessRequest, type TenantFairness } from '../../contracts/fairness';
import { limitsOf, type FairnessRegistry } from '../fairness/fairness-registry';
import type { IngestWriter } from '../ingest/ingest-writer';
import type { TenantRecord } from '../storage/types';
import { operatorWith, type ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const Cursor = z.strictObject({ c: z.string().max(40), i: z.uuid() });

export interface FairnessView {
  fairness: FairnessRegistry;
  writer: IngestWriter;
  liveReplicas: () => number;
}

/** A tenant's limits and this replica's live counters. */
export function fairnessOf(view: FairnessView, tenant: TenantRecord): TenantFairness {
  return {
    tenant_id: tenant.id,
    slug: tenant.slug,
    ...limitsOf(tenant),
    ...view.fairness.counters(tenant.id, view.writer.queueDepth(tenant.id)),
    live_replicas: view.liveReplicas(),
    write_lane: view.writer.laneOf(tenant),
  };
}

/** GET /provider/v1/fairness, GET · PUT /provider/v1/tenants/{tenant}/fairness. */
export function fairnessRoutes(ctx: ProviderContext, view: FairnessView) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/fairness', async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      const query = parseWith(PageQuery, request.query, 'query');
      let after: { createdAt: string; id: string } | undefined;
      if (query.cursor !== undefined) {
        try {
          const cursor = Cursor.parse(JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')));
          after = { createdAt: cursor.c, id: cursor.i };
        } catch {
          throw new ApiError(400, 'invalid_request', 'The cursor is not one this route issued.', { issues: [{ path: 'cursor', message: 'unknown cursor' }] });
        }
      }
      const records = await ctx.storage.tenants.list({ after, limit: query.limit + 1 });
      const page = records.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.filter((record) => record.state !== 'deleted').map((record) => fairnessOf(view, record)),
        next_cursor: records.length > query.limit && last !== undefined ? Buffer.from(JSON.stringify({ c: last.createdAt, i: last.id })).toString('base64url') : null,
      };
    });

    app.get('/provider/v1/tenants/:tenant/fairness', async (request) => {
      await operatorWith(ctx, request, 'fairness:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return fairnessOf(view, await ctx.tenants.resolve(tenant));
    });

    app.put('/provider/v1/tenants/:tenant/fairness', async (request) => {
      const { actor } = await operatorWith(ctx, request, 'fairness:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PutFairnessRequest, request.body);
      const limits = { ingest_rate_per_sec: body.ingest_rate_per_sec, ingest_burst: body.ingest_burst ?? Math.min(100_000_000, body.ingest_rate_per_sec * 2), query_budget: body.query_budget };
      return fairnessOf(view, await ctx.tenants.setFairness(tenant, limits, actor));
    });
    return Promise.resolve();
  };
}
