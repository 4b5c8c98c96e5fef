import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { requirePermission } from '../auth/permissions';
import type { ScrapeToken } from '../auth/scrape-token';
import { bearerToken } from '../auth/tokens';
import { ApiError } from '../errors';
import type { TenantFairness } from '../../contracts/fairness';
import type { RouteContext } from './context';
import { contract } from './route-contract';

/**
 * GET /metrics in Prometheus text: per-tenant fairness counters (labelled by tenant slug; never
 * telemetry) and the process defaults. It names every tenant, so it takes a credential from
 * everyone, loopback included (a host's other users and processes are not the provider): an
 * operator session whose role reads fairness, or the scrape token `serve --metrics-token-file` holds.
 */
export function metricsRoute(ctx: RouteContext, scrapeToken: ScrapeToken | null) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bulkhead_' });
  /**
   * The live tenants' fairness rows, read once per scrape (every gauge below picks from them):
   * the tenants this replica counts for, deleted ones left out.
   */
  let rows: TenantFairness[] = [];
  const tenantGauge = (name: string, help: string, pick: (row: TenantFairness) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['tenant'],
      registers: [registry],
      collect() {
        this.reset();
        for (const row of rows) {
          const value = pick(row);
          if (value !== null) this.set({ tenant: row.slug }, value);
        }
      },
    });
  tenantGauge('bulkhead_ingest_admitted_calls', 'Ingest calls admitted since start (this replica)', (row) => row.admitted_calls);
  tenantGauge('bulkhead_ingest_admitted_units', 'Ingest units admitted since start (this replica)', (row) => row.admitted_units);
  tenantGauge('bulkhead_ingest_shed_calls', 'Ingest calls refused 429 since start (this replica)', (row) => row.shed_calls);
  tenantGauge('bulkhead_ingest_shed_units', 'Ingest units refused 429 since start (this replica)', (row) => row.shed_units);
  tenantGauge('bulkhead_ingest_queue_depth', 'Admitted batches waiting for the shared writer', (row) => row.queue_depth);
  tenantGauge('bulkhead_ingest_latency_p50_ms', 'Ingest latency p50 over recent calls, ms', (row) => row.latency_p50_ms);
  tenantGauge('bulkhead_ingest_latency_p99_ms', 'Ingest latency p99 over recent calls, ms', (row) => row.latency_p99_ms);
  tenantGauge('bulkhead_ingest_rate_limit_units_per_second', 'Configured ingest rate', (row) => row.ingest_rate_per_sec);
  // An info metric: join on `tenant` to sum any gauge above by the writer lane (cell) tenants share.
  new Gauge({
    name: 'bulkhead_ingest_write_lane_info',
    help: 'The writer lane a tenant\'s admitted batches queue in (cell:<n>, pooled, own:<tenant id>, or all with fairness off); always 1',
    labelNames: ['tenant', 'lane'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of rows) this.set({ tenant: row.slug, lane: row.write_lane }, 1);
    },
  });

  // Why connections closed since start: a burst of one reason is what a fleet's errors come from.
  new Gauge({
    name: 'bulkhead_http_connections_closed',
    help: 'HTTP(S) connections closed since start, by reason (keep_alive_timeout, headers_timeout, request_timeout, connection_bound, bad_request, client_closed, client_reset, tls_handshake_failed, tls_handshake_aborted, tls_handshake_timeout, server_closed)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, count] of Object.entries(ctx.connectionCloses.counted())) this.set({ reason }, count);
    },
  });
  // Server-side TLS handshake time: a slow handshake here, or a client that never got to it (#23).
  registry.registerMetric(ctx.tlsHandshakes.histogram);
  // The process's memory by kind at the scrape (process.memoryUsage()): arrayBuffers holds the
  // sockets' and TLS buffers, which the heap figures leave out.
  new Gauge({
    name: 'bulkhead_process_memory_bytes',
    help: 'Process memory by kind: rss, heap_used, heap_total, external, array_buffers',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const memory = process.memoryUsage();
      this.set({ kind: 'rss' }, memory.rss);
      this.set({ kind: 'heap_used' }, memory.heapUsed);
      this.set({ kind: 'heap_total' }, memory.heapTotal);
      this.set({ kind: 'external' }, memory.external);
      this.set({ kind: 'array_buffers' }, memory.arrayBuffers);
    },
  });

  return (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', contract({ summary: 'Prometheus metrics: per-tenant ingest counters and the process', credential: 'metrics', responses: { 200: 'text' } }), async (request, reply) => {
      const scrape = bearerToken(request.headers.authorization, 'bhm_');
      if (scrape !== null) {
        if (scrapeToken === null || !scrapeToken.matches(scrape)) {
          throw new ApiError(401, 'unauthorized', 'This scrape token is not the one this control plane was started with (serve --metrics-token-file).');
        }
      } else if (bearerToken(request.headers.authorization, 'bho_') !== null) {
        const { operator } = await ctx.auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
        requirePermission(operator.roles, 'fairness:read');
      } else {
        throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer with the scrape token of serve --metrics-token-file (bhm_), or an operator session whose role reads fairness (bho_).');
      }
      rows = await ctx.fairness.live();
      return reply.type(registry.contentType).send(await registry.metrics());
    });
    return Promise.resolve();
  };
}
