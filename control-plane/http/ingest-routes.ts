import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IngestRequest } from '../../contracts/telemetry';
import type { AuthenticatedTenant, TenantAuth } from '../auth/tenant-auth';
import type { FairnessRegistry } from '../fairness/fairness-registry';
import type { TakeResult } from '../fairness/token-bucket';
import { prepareBatch } from '../ingest/batch-details';
import { StorageMeter } from '../ingest/storage-meter';
import { assertWithinStorageQuota } from '../tenancy/quota-check';
import { WriterSaturatedError, type IngestWriter } from '../ingest/ingest-writer';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import type { ProviderContext } from './context';
import { ApiError } from './errors';
import { parseWith } from './validation';

export interface IngestDeps {
  fairness: FairnessRegistry;
  writer: IngestWriter;
  crypto: TenantCrypto;
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

/**
 * POST /agent/v1/ingest: an agent's batch of results and flow events. Admission is the tenant's
 * token bucket over units (all or nothing: a refused batch stores nothing); an admitted batch is
 * sealed once, queued fairly and acknowledged (202) only once it is durable. A retried batch_id
 * is stored once.
 */
export function ingestRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, deps: IngestDeps) {
  const authenticated = new WeakMap<FastifyRequest, { auth: AuthenticatedTenant; startedMs: number }>();
  const stored = new StorageMeter(ctx.storage.telemetry, () => ctx.clock().getTime());
  return (app: FastifyInstance): Promise<void> => {
    app.post(
      '/agent/v1/ingest',
      {
        // Thousands of batches a second: per-request log lines would cost more than they tell;
        // /metrics and the fairness counters cover ingest. Errors are still logged.
        logLevel: 'warn',
        // Authenticate and refuse a tenant whose bucket is empty before reading the body: a
        // flooding agent costs a token lookup, not a JSON parse of its whole batch.
        preParsing: async (request) => {
          const startedMs = performance.now();
          const auth = await tenantAuth.authenticate(request.headers.authorization, 'agent');
          const open = deps.fairness.ingestOpen(auth.tenant);
          if (!open.admitted) {
            deps.fairness.recordShed(auth.tenant, 0);
            throw refusal(open, 0, deps.fairness.ingestBurst(auth.tenant));
          }
          authenticated.set(request, { auth, startedMs });
        },
      },
      async (request, reply) => {
        const state = authenticated.get(request);
        if (state === undefined) {
          throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <bha_ token>.');
        }
        const { auth, startedMs } = state;
        const body = parseWith(IngestRequest, request.body);
        const units = body.results.length + body.flow_events.length;
        const tenant = auth.tenant;
        const bytes = Number(request.headers['content-length'] ?? 0) || 0;
        // A hard cap, checked before the rate: waiting would not help, so it is not rate_limited.
        assertWithinStorageQuota(tenant.quotas, await stored.usedBytes(tenant), bytes);
        const take = deps.fairness.takeIngest(tenant, units);
        if (!take.admitted) {
          deps.fairness.recordShed(tenant, units);
          throw refusal(take, units, deps.fairness.ingestBurst(tenant));
        }
        const batch = await prepareBatch(deps.crypto, tenant, auth.token.subjectId ?? auth.token.id, body, bytes, ctx.clock().toISOString());
        let duplicate: boolean;
        try {
          ({ duplicate } = await deps.writer.submit(batch, units));
        } catch (error) {
          if (error instanceof WriterSaturatedError) {
            deps.fairness.refundIngest(tenant.id, units);
            deps.fairness.recordShed(tenant, units);
            throw rateLimited(error.retryAfterMs, 'The shared writer is saturated and this tenant holds the largest share of it: nothing was stored. Retry after Retry-After.', {
              units,
            });
          }
          throw error;
        }
        deps.fairness.recordAdmitted(tenant, units, performance.now() - startedMs);
        if (!duplicate) stored.add(tenant.id, bytes);
        return reply.code(202).send({ batch_id: body.batch_id, admitted_units: units, duplicate });
      },
    );
    return Promise.resolve();
  };
}
