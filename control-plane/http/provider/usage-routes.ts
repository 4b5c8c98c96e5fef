import type { FastifyInstance } from 'fastify';
import { UsageExportJson, UsageExportQuery, UsageReportQuery } from '../../../contracts/usage';
import { operatorWith, type RouteContext } from '../context';
import { contract } from '../route-contract';
import { parseWith } from '../validation';

/** GET /provider/v1/usage/export (CSV or JSON, streamed) and /provider/v1/usage/report (PDF): billing_viewer and provider admins. */
export function usageRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get(
      '/provider/v1/usage/export',
      contract({ summary: "Every tenant's usage meters for a period (default: this calendar month, UTC), for billing; `tenant` narrows it to one", credential: 'operator', query: UsageExportQuery, responses: { 200: { json: UsageExportJson, csv: true } } }),
      async (request, reply) => {
        await operatorWith(ctx, request, 'usage:read');
        const query = parseWith(UsageExportQuery, request.query, 'query');
        // The period is checked before the tenant is looked up: a bad date is 400 whoever it names.
        ctx.usage.period(query);
        const tenant = query.tenant === undefined ? null : await ctx.tenants.resolve(query.tenant);
        const exported = ctx.usage.export(query, tenant);
        return reply
          .header('content-type', exported.contentType)
          .header('content-disposition', `attachment; filename="${exported.filename}"`)
          .header('cache-control', 'no-store')
          .send(exported.body);
      },
    );

    app.get(
      '/provider/v1/usage/report',
      contract({ summary: "A tenant's usage report for a period, with daily results ingested (PDF)", credential: 'operator', query: UsageReportQuery, responses: { 200: 'pdf' } }),
      async (request, reply) => {
        await operatorWith(ctx, request, 'usage:read');
        const query = parseWith(UsageReportQuery, request.query, 'query');
        const report = await ctx.usage.report(await ctx.tenants.resolve(query.tenant), query);
        return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${report.filename}"`).header('cache-control', 'no-store').send(report.pdf);
      },
    );
    return Promise.resolve();
  };
}
