import { BATCH_UNITS_HEADER, MAX_BATCH_UNITS, type IngestRequest } from '../../contracts/telemetry';
import type { AuthenticatedTenant } from '../auth/tenant-auth';
import { ApiError } from '../errors';
import type { FairnessRegistry } from '../fairness/fairness-registry';
import type { TakeResult } from '../fairness/token-bucket';
import type { TelemetryBatchWrite } from '../storage/types';
import { rateLimited } from '../telemetry/telemetry-access';
import { assertWithinStorageQuota } from '../tenancy/quota-check';
import { WriterSaturatedError, type IngestWriter } from './ingest-writer';
import type { OwnedTests } from './owned-tests';
import type { StorageMeter } from './storage-meter';

function refusal(take: Exclude<TakeResult, { admitted: true }>, units: number, burst: number): ApiError {
  if (take.reason === 'exceeds_burst') {
    // Never admissible however long the agent waits: not a retryable code.
    return new ApiError(413, 'payload_too_large', `This batch carries ${units} units; this tenant admits at most ${Math.floor(burst)} in one batch. Send smaller batches.`, {
      units,
      max_batch_units: Math.floor(burst),
    });
  }
  return rateLimited(take.retryAfterMs, "Over the tenant's ingest rate: nothing was stored. Retry the same batch after Retry-After.", { units });
}

/**
 * A parsed body's units before it is validated (null when it is not shaped like a batch): an agent
 * that does not declare its units is still refused for the rate at the cost of a JSON parse, not of
 * validating every row. A valid batch counts the same after validation.
 */
function unvalidatedUnits(body: unknown): number | null {
  if (typeof body !== 'object' || body === null) return null;
  const { results, flow_events: flows = [] } = body as { results?: unknown; flow_events?: unknown };
  if (!Array.isArray(results) || !Array.isArray(flows)) return null;
  const units = results.length + flows.length;
  return units <= MAX_BATCH_UNITS ? units : null;
}

export interface AdmissionDeps {
  fairness: FairnessRegistry;
  writer: IngestWriter;
  storageMeter: StorageMeter;
  ownedTests: OwnedTests;
}

/**
 * Admission of ingest batches: everything that decides whether a tenant's batch may be stored, in
 * the order that refuses a flood cheapest. `open` runs before the body is read (the storage quota,
 * then the declared units against the tenant's token bucket); the ticket it answers takes the units
 * once they are known, checks the batch is for the tenant's own tests, and submits the batch to the
 * fair writer. A batch that is not stored gives its units back (`release`).
 */
export class IngestAdmission {
  constructor(private readonly deps: AdmissionDeps) {}

  /** `startedMs`: when the request arrived (performance.now()), for the latency the fairness counters keep. */
  async open(auth: AuthenticatedTenant, declared: number | null, bytes: number, startedMs: number): Promise<IngestTicket> {
    const { tenant } = auth;
    // A hard cap, checked before the rate: waiting would not help, so it is not rate_limited.
    assertWithinStorageQuota(tenant.quotas, await this.deps.storageMeter.usedBytes(tenant), bytes);
    const ticket = new IngestTicket(this.deps, auth, declared, bytes, startedMs);
    if (declared !== null) {
      ticket.take(declared);
    } else {
      // Units unknown until the body is parsed: refuse now only if not even one unit fits.
      const open = this.deps.fairness.ingestOpen(tenant);
      if (!open.admitted) {
        this.deps.fairness.recordShed(tenant, 0);
        throw refusal(open, 0, this.deps.fairness.ingestBurst(tenant));
      }
    }
    return ticket;
  }

  /**
   * The refusal for a connection past its token's or tenant's bound (ingest/connection-bounds.ts):
   * 429 rate_limited with Retry-After, as any agent already handles (keep the batch, send it again
   * later), counted as a shed call of no units. The route closes the connection with it.
   */
  refuseConnection(auth: AuthenticatedTenant, refusal: { scope: 'agent' | 'tenant'; limit: number }): ApiError {
    this.deps.fairness.recordShed(auth.tenant, 0);
    const whose = refusal.scope === 'agent' ? 'This agent token already holds' : "This tenant's agents already hold";
    const error = rateLimited(
      CONNECTION_RETRY_AFTER_MS,
      `${whose} ${refusal.limit} open connections: this one is closed and nothing was stored. Send over a connection already open, after Retry-After.`,
      { reason: 'too_many_connections', scope: refusal.scope, max_connections: refusal.limit },
    );
    return new ApiError(error.statusCode, error.code, error.message, error.details, { ...error.headers, connection: 'close' });
  }
}

/** How long a connection refused for the bound is told to wait: the agent's other connections go on meanwhile. */
export const CONNECTION_RETRY_AFTER_MS = 1_000;

/** One request's way through admission: units taken, then stored or given back. */
export class IngestTicket {
  private taken = 0;
  private stored = false;

  constructor(
    private readonly deps: AdmissionDeps,
    readonly auth: AuthenticatedTenant,
    private readonly declared: number | null,
    readonly bytes: number,
    private readonly startedMs: number,
  ) {}

  /** Takes the batch's units from the tenant's bucket, or refuses the request with nothing stored. */
  take(units: number): void {
    const { tenant } = this.auth;
    const take = this.deps.fairness.takeIngest(tenant, units);
    if (!take.admitted) {
      this.deps.fairness.recordShed(tenant, units);
      throw refusal(take, units, this.deps.fairness.ingestBurst(tenant));
    }
    this.taken = units;
  }

  /** Without declared units, the rate is checked on the parsed body's counts before its rows are validated. */
  takeUnvalidated(body: unknown): void {
    if (this.declared !== null) return;
    const early = unvalidatedUnits(body);
    if (early !== null) this.take(early);
  }

  /** The validated batch's units: taken now if not yet, and they must match what the agent declared. */
  admit(body: IngestRequest): number {
    const units = body.results.length + body.flow_events.length;
    if (this.declared === null) {
      if (this.taken === 0 && units > 0) this.take(units);
    } else if (this.declared !== units) {
      throw new ApiError(400, 'invalid_request', `The ${BATCH_UNITS_HEADER} header declares ${this.declared} units but the batch carries ${units}: nothing was stored.`, {
        declared_units: this.declared,
        units,
      });
    }
    return units;
  }

  /** Refuses results for tests the tenant does not own (another tenant's ids would read back as its own). */
  async checkTests(body: IngestRequest): Promise<void> {
    const unknownTests = await this.deps.ownedTests.unknown(this.auth.tenant, body.results.map((result) => result.test_id));
    if (unknownTests.length > 0) {
      throw new ApiError(400, 'unknown_test', `This batch reports results for ${unknownTests.length} test id(s) your tenant does not have: nothing was stored. Define the tests first (POST /v1/tests).`, {
        test_ids: unknownTests.slice(0, 20),
      });
    }
  }

  /** Queues the batch fairly and resolves once it is durable; a saturated writer sheds it (429) with its units given back. */
  async submit(batch: TelemetryBatchWrite, units: number): Promise<{ duplicate: boolean }> {
    const { tenant } = this.auth;
    let duplicate: boolean;
    try {
      ({ duplicate } = await this.deps.writer.submit(batch, units));
    } catch (error) {
      if (error instanceof WriterSaturatedError) {
        this.deps.fairness.recordShed(tenant, units);
        throw rateLimited(error.retryAfterMs, 'The shared writer is saturated and this tenant holds the largest share of it: nothing was stored. Retry after Retry-After.', { units });
      }
      throw error;
    }
    this.stored = true;
    this.deps.fairness.recordAdmitted(tenant, units, performance.now() - this.startedMs);
    if (!duplicate) this.deps.storageMeter.add(tenant.id, this.bytes);
    return { duplicate };
  }

  /** Whatever ends a request without storing its batch (refusal, bad body, saturation, abort) gives its units back. */
  release(): void {
    if (this.taken > 0 && !this.stored) {
      this.deps.fairness.refundIngest(this.auth.tenant.id, this.taken);
      this.taken = 0;
    }
  }
}
