import { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BATCH_UNITS_HEADER, BatchUnitsHeader, IngestRequest, IngestResponse, MAX_BATCH_UNITS } from '../../../contracts/telemetry';
import { contract } from '../route-contract';
import { ApiError } from '../../errors';
import type { IngestTicket } from '../../ingest/ingest-admission';
import { prepareBatch } from '../../telemetry/batch-details';
import type { RouteContext } from '../context';
import { parseIngestBody, plainBatchUnits } from './ingest-body';
import { ConnectionBounds } from '../../ingest/connection-bounds';
import { RefusedConnections } from './refused-connections';

function declaredUnits(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const units = plainBatchUnits(header);
  if (units !== null) return units;
  const parsed = BatchUnitsHeader.safeParse(header);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_request', `The ${BATCH_UNITS_HEADER} header must be the batch's units (results + flow events): a whole number from 0 to ${MAX_BATCH_UNITS}.`, {
      issues: [{ path: `headers.${BATCH_UNITS_HEADER}`, message: 'a whole number of units' }],
    });
  }
  return parsed.data;
}

/** A socket of the server's own (inject() has a stand-in that never closes, and holds nothing to bound). */
function isRealConnection(request: FastifyRequest): boolean {
  return request.raw.socket instanceof Socket;
}

/**
 * POST /agent/v1/ingest: an agent's batch of results and flow events. Admission (ingest/ingest-admission.ts)
 * decides before the body is read where it can; an admitted batch is sealed once, queued fairly and
 * acknowledged (202) only once it is durable. A retried batch_id is stored once.
 */
export function ingestRoutes(ctx: RouteContext) {
  const tickets = new WeakMap<FastifyRequest, IngestTicket>();
  /** Whatever ends a request without storing its batch gives its units back. */
  const release = (request: FastifyRequest): Promise<void> => {
    tickets.get(request)?.release();
    return Promise.resolve();
  };
  const refused = new RefusedConnections();
  const bounds = new ConnectionBounds(ctx.ingestConnections);
  /** A refusal with Retry-After holds the connection's next request until then (refused-connections.ts). */
  const refuseConnection = (request: FastifyRequest, _reply: unknown, error: Error): Promise<void> => {
    if (error instanceof ApiError && error.statusCode === 429 && typeof error.details.retry_after_ms === 'number') {
      refused.refuse(request.raw.socket, error.details.retry_after_ms);
    }
    return release(request);
  };

  return (app: FastifyInstance): Promise<void> => {
    app.post(
      '/agent/v1/ingest',
      {
        ...contract({
          summary: "Send a batch of results and flow events (202 once durable; 429 with Retry-After over the tenant's rate, nothing stored)",
          credential: 'agent',
          body: IngestRequest,
          responses: { 202: IngestResponse },
        }),
        // Thousands of batches a second: per-request log lines would cost more than they tell;
        // /metrics and the fairness counters cover ingest. Errors are still logged.
        logLevel: 'warn',
        // Everything that can refuse a batch without its body runs before the body is read, so a
        // flooding agent costs a token lookup, not a JSON parse and validation of its whole batch.
        preParsing: async (request) => {
          const startedMs = performance.now();
          const auth = await ctx.tenantAuth.authenticate(request.headers.authorization, 'agent');
          // A connection past its token's or tenant's bound is refused before admission: its body is never read.
          const over = isRealConnection(request) ? bounds.claim(request.raw.socket, auth.token.id, auth.tenant.id) : null;
          if (over !== null) {
            ctx.connectionCloses.mark(request.raw.socket, 'connection_bound');
            throw ctx.admission.refuseConnection(auth, over);
          }
          const declared = declaredUnits(request.headers[BATCH_UNITS_HEADER]);
          const bytes = Number(request.headers['content-length'] ?? 0) || 0;
          tickets.set(request, await ctx.admission.open(auth, declared, bytes, startedMs));
        },
        // Before anything else: a request on a connection that ignored its Retry-After waits it out.
        onRequest: (request) => refused.wait(request.raw.socket),
        // Given back before an error answer is sent (so a retry right after it finds the units),
        // else once the response is out or the client went away.
        onError: refuseConnection,
        onResponse: release,
        onRequestAbort: release,
      },
      async (request, reply) => {
        const ticket = tickets.get(request);
        if (ticket === undefined) {
          throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <bha_ token>.');
        }
        ticket.takeUnvalidated(request.body);
        const body = parseIngestBody(request.body);
        const units = ticket.admit(body);
        await ticket.checkTests(body);
        const { tenant, token } = ticket.auth;
        const batch = await prepareBatch(ctx.crypto, tenant, token.subjectId ?? token.id, body, ticket.bytes, ctx.clock().toISOString());
        const { duplicate } = await ticket.submit(batch, units);
        return reply.code(202).send({ batch_id: body.batch_id, admitted_units: units, duplicate });
      },
    );
    return Promise.resolve();
  };
}
