import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BATCH_UNITS_HEADER, BatchUnitsHeader, IngestRequest, MAX_BATCH_UNITS } from '../../contracts/telemetry';
import type { AuthenticatedTenant, TenantAuth } from '../auth/tenant-auth';
import type { FairnessRegistry } from '../fairness/fairness-registry';
import type { TakeResult } from '../fairness/token-bucket';
import { prepareBatch } from '../ingest/batch-details';
import { StorageMeter } from '../ingest/storage-meter';
import { assertWithinStorageQuota } from '../tenancy/quota-check';
import { WriterSaturatedError, type IngestWriter } from '../ingest/ingest-writer';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import type { OwnedTests } from '../ingest/owned-tests';
import type { ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

export interface IngestDeps {
  fairness: FairnessRegistry;
  writer: IngestWriter;
  crypto: TenantCrypto;
  ownedTests: OwnedTests;
}

/** `429 rate_limited` with Retry-After in whole seconds (HTTP) and in milliseconds in the body. */
export function rateLimited(retryAfterMs: number, message: string, details: Record<string, unknown> = {}): ApiError {
  const ms = Math.max(1, Math.ceil(retryAfterMs));
  return new ApiError(429, 'rate_limited', message, { retry_after_ms: ms, ...details }, { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });
}

function refusal(take: Exclude<TakeResult, { admitted: true }>, units: number, burst: number): ApiError {
  if (take.reason === 'exceeds_burst') {
    // Never admissible however long the agent waits: not a retryable code.
    return new ApiError(413, 'payload_too_large', `This batch carries ${units} units; this tenant admits at most ${Math.floor(burst)} in one batch. Send smaller batches.`, {
      units,
      max_batch_units: Math.floor(burst),
    });
  }
  return rateLimited(take.retryAfterMs, 'Over the tenant\'s ingest rate: nothing was stored. Retry the same batch after Retry-After.', { units });
}

interface IngestState {
  auth: AuthenticatedTenant;
  startedMs: number;
  /** The body's size as declared (Content-Length): what the storage quota and meter count. */
  bytes: number;
  /** Units declared in the batch-units header, when the agent sent it. */
  declared: number | null;
  /** Units taken from the tenant's bucket for this request; given back unless the batch is stored. */
  taken: number;
  stored: boolean;
}

/**
 * A parsed body's units before it is validated (null when it is not shaped like a batch): an
 * agent that does not declare its units is still refused for the rate at the cost of a JSON
 * parse, not of validating every row. A valid batch counts the same after validation.
 */
function unvalidatedUnits(body: unknown): number | null {
  if (typeof body !== 'object' || body === null) return null;
  const { results, flow_events: flows = [] } = body as { results?: unknown; flow_events?: unknown };
  if (!Array.isArray(results) || !Array.isArray(flows)) return null;
  const units = results.length + flows.length;
  return units <= MAX_BATCH_UNITS ? units : null;
}

function declaredUnits(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const parsed = BatchUnitsHeader.safeParse(header);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_request', `The ${BATCH_UNITS_HEADER} header must be the batch's units (results + flow events): a whole number from 0 to ${MAX_BATCH_UNITS}.`, {
      issues: [{ path: `headers.${BATCH_UNITS_HEADER}`, message: 'a whole number of units' }],
    });
  }
  return parsed.data;
}

/**
 * POST /agent/v1/ingest: an agent's batch of results and flow events. Admission is the tenant's
 * token bucket over units (all or nothing: a refused batch stores nothing); an admitted batch is
 * sealed once, queued fairly and acknowledged (202) only once it is durable. A retried batch_id
 * is stored once.
 */
export function ingestRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, deps: IngestDeps) {
  const states = new WeakMap<FastifyRequest, IngestState>();
  const stored = new StorageMeter(ctx.storage.telemetry, () => ctx.clock().getTime());

  /** Takes the batch's units from the tenant's bucket, or refuses the request with nothing stored. */
  const admit = (state: IngestState, units: number): void => {
    const take = deps.fairness.takeIngest(state.auth.tenant, units);
    if (!take.admitted) {
      deps.fairness.recordShed(state.auth.tenant, units);
      throw refusal(take, units, deps.fairness.ingestBurst(state.auth.tenant));
    }
    state.taken = units;
  };
  /** Whatever ends a request without storing its batch (refusal, bad body, saturation, abort) gives its units back. */
  const release = (request: FastifyRequest): Promise<void> => {
    const state = states.get(request);
    if (state !== undefined && state.taken > 0 && !state.stored) {
      deps.fairness.refundIngest(state.auth.tenant.id, state.taken);
      state.taken = 0;
    }
    return Promise.resolve();
  };

  return (app: FastifyInstance): Promise<void> => {
    app.post(
      '/agent/v1/ingest',
      {
        // Thousands of batches a second: per-request log lines would cost more than they tell;
        // /metrics and the fairness counters cover ingest. Errors are still logged.
        logLevel: 'warn',
        // Everything that can refuse a batch without its body runs before the body is read, so a
        // flooding agent costs a token lookup, not a JSON parse and validation of its whole batch.
        preParsing: async (request) => {
          const startedMs = performance.now();
          const auth = await tenantAuth.authenticate(request.headers.authorization, 'agent');
          const tenant = auth.tenant;
          const declared = declaredUnits(request.headers[BATCH_UNITS_HEADER]);
          // A hard cap, checked before the rate: waiting would not help, so it is not rate_limited.
          const bytes = Number(request.headers['content-length'] ?? 0) || 0;
          assertWithinStorageQuota(tenant.quotas, await stored.usedBytes(tenant), bytes);
          const state: IngestState = { auth, startedMs, bytes, declared, taken: 0, stored: false };
          if (declared !== null) {
            admit(state, declared);
          } else {
            // Units unknown until the body is parsed: refuse now only if not even one unit fits.
            const open = deps.fairness.ingestOpen(tenant);
            if (!open.admitted) {
              deps.fairness.recordShed(tenant, 0);
              throw refusal(open, 0, deps.fairness.ingestBurst(tenant));
            }
          }
          states.set(request, state);
        },
        // Given back before an error answer is sent (so a retry right after it finds the units),
        // else once the response is out or the client went away.
        onError: release,
        onResponse: release,
        onRequestAbort: release,
      },
      async (request, reply) => {
        const state = states.get(request);
        if (state === undefined) {
          throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <bha_ token>.');
        }
        const { auth, startedMs } = state;
        const early = state.declared === null ? unvalidatedUnits(request.body) : null;
        if (early !== null) admit(state, early);
        const body = parseWith(IngestRequest, request.body);
        const units = body.results.length + body.flow_events.length;
        const tenant = auth.tenant;
        if (state.declared === null) {
          if (early === null) admit(state, units);
        } else if (state.declared !== units) {
          throw new ApiError(400, 'invalid_request', `The ${BATCH_UNITS_HEADER} header declares ${state.declared} units but the batch carries ${units}: nothing was stored.`, {
            declared_units: state.declared,
            units,
          });
        }
        const unknownTests = await deps.ownedTests.unknown(tenant, body.results.map((result) => result.test_id));
        if (unknownTests.length > 0) {
          throw new ApiError(400, 'unknown_test', `This batch reports results for ${unknownTests.length} test id(s) your tenant does not have: nothing was stored. Define the tests first (POST /v1/tests).`, {
            test_ids: unknownTests.slice(0, 20),
          });
        }
        const batch = await prepareBatch(deps.crypto, tenant, auth.token.subjectId ?? auth.token.id, body, state.bytes, ctx.clock().toISOString());
        let duplicate: boolean;
        try {
          ({ duplicate } = await deps.writer.submit(batch, units));
        } catch (error) {
          if (error instanceof WriterSaturatedError) {
            deps.fairness.recordShed(tenant, units);
            throw rateLimited(error.retryAfterMs, 'The shared writer is saturated and this tenant holds the largest share of it: nothing was stored. Retry after Retry-After.', {
              units,
            });
          }
          throw error;
        }
        state.stored = true;
        deps.fairness.recordAdmitted(tenant, units, performance.now() - startedMs);
        if (!duplicate) stored.add(tenant.id, state.bytes);
        return reply.code(202).send({ batch_id: body.batch_id, admitted_units: units, duplicate });
      },
    );
    return Promise.resolve();
  };
}
