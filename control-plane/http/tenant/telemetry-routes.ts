import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FlowEventView, FlowsQuery, InsightsRequest, InsightsResponse, ResultsQuery, SummaryResponse, TelemetryResult, TelemetryWindowQuery } from '../../../contracts/telemetry';
import { GrantAuth } from '../../breakglass/grant-access';
import type { TelemetryCaller } from '../../telemetry/telemetry-access';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** A grant's optional tenant selector; the rest of the query is checked by the route's own schema. */
const GrantTenantQuery = z.looseObject({ tenant: z.string().min(1).max(200).optional() });

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Telemetry reads for the tenant's own users (`telemetry:read`) and insights (`insights:run`); each
 * call spends one unit of the tenant's query budget. Operator session tokens never get here (the
 * route table answers them 403 no_implicit_access); an operator reads the three GET routes only
 * with an active break-glass grant for the tenant, and each such read is in both ledgers before it
 * is answered (telemetry/telemetry-access.ts).
 */
export function telemetryRoutes(ctx: RouteContext) {
  /** The caller, and the query without a grant's `tenant` selector (that parameter is the grant's, not the route's). */
  const callerOf = async (request: FastifyRequest): Promise<{ caller: TelemetryCaller; query: unknown }> => {
    const { authorization } = request.headers;
    if (!GrantAuth.presented(authorization)) {
      return { caller: await ctx.telemetryAccess.reader(authorization, request.routeOptions.url ?? '', undefined), query: request.query };
    }
    const { tenant, ...rest } = parseWith(GrantTenantQuery, request.query, 'query');
    return { caller: await ctx.telemetryAccess.reader(authorization, request.routeOptions.url ?? '', tenant), query: rest };
  };
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/telemetry/results', contract({ summary: "The tenant's probe results, newest first (details opened)", credential: 'tenant-or-grant', query: ResultsQuery, responses: { 200: pageOf(TelemetryResult) } }), async (request) => {
      const { caller, query: raw } = await callerOf(request);
      const query = parseWith(ResultsQuery, raw, 'query');
      const page = await ctx.telemetry.results(caller.tenant, query);
      await caller.recorded(query, page.items.length);
      return page;
    });

    app.get('/v1/telemetry/flows', contract({ summary: "The tenant's flow events, newest batch first", credential: 'tenant-or-grant', query: FlowsQuery, responses: { 200: pageOf(FlowEventView) } }), async (request) => {
      const { caller, query: raw } = await callerOf(request);
      const query = parseWith(FlowsQuery, raw, 'query');
      const page = await ctx.telemetry.flows(caller.tenant, query);
      await caller.recorded(query, page.items.length);
      return page;
    });

    app.get('/v1/telemetry/summary', contract({ summary: 'Per-test summaries over a window', credential: 'tenant-or-grant', query: TelemetryWindowQuery, responses: { 200: SummaryResponse } }), async (request) => {
      const { caller, query: raw } = await callerOf(request);
      const query = parseWith(TelemetryWindowQuery, raw, 'query');
      const summary = await ctx.telemetry.summary(caller.tenant, query);
      await caller.recorded(query, summary.rows);
      return {
        from: summary.window.from,
        to: summary.window.to,
        truncated: summary.truncated,
        tests: summary.tests.map((stats) => ({
          test_id: stats.testId,
          results: stats.results,
          failures: stats.failures,
          loss_pct: stats.lossPct,
          latency_p50_ms: stats.p50,
          latency_p95_ms: stats.p95,
          latency_p99_ms: stats.p99,
        })),
      };
    });

    app.post('/v1/insights', contract({ summary: 'Anomalies per test over the lookback (one ai_calls unit)', credential: 'tenant', body: InsightsRequest, responses: { 200: InsightsResponse } }), async (request) => {
      const tenant = await ctx.telemetryAccess.user(request.headers.authorization, 'insights:run');
      const body = parseWith(InsightsRequest, request.body);
      const { from, to, analyzed, anomalies } = await ctx.telemetry.insights(tenant, body);
      const worst = anomalies[0];
      return {
        from,
        to,
        window_minutes: body.lookback_minutes / body.windows,
        tests_analyzed: analyzed,
        anomalies: anomalies.map((anomaly) => ({
          test_id: anomaly.testId,
          metric: anomaly.metric,
          latest: anomaly.latest,
          baseline_median: anomaly.baselineMedian,
          robust_z: anomaly.robustZ,
          window_start: anomaly.windowStart,
        })),
        summary:
          worst === undefined
            ? `No anomalies among ${analyzed} tests with enough history in the last ${body.lookback_minutes} minutes.`
            : `${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'} among ${analyzed} tests; worst: test ${worst.testId} ${worst.metric} ${round(worst.latest)} against a baseline median of ${round(worst.baselineMedian)} (robust z ${worst.robustZ}).`,
      };
    });
    return Promise.resolve();
  };
}
