import { z } from 'zod';
import type { FairnessWhatIf, FairnessWhatIfQuery, TenantFairness } from '../../contracts/fairness';
import { ApiError } from '../errors';
import { limitsOf, type FairnessRegistry } from '../fairness/fairness-registry';
import { replicaShare } from '../fairness/token-bucket';
import { replay } from '../fairness/what-if';
import type { Storage, TenantRecord } from '../storage/types';
import type { IngestWriter } from './ingest-writer';

const Cursor = z.strictObject({ c: z.string().max(40), i: z.uuid() });

/**
 * What operators see of fairness: each tenant's limits, this replica's live counters (admitted and
 * shed calls and units, queue depth, latency) and the writer lane its batches queue in.
 */
export class FairnessReport {
  constructor(private readonly deps: { storage: Storage; fairness: FairnessRegistry; writer: IngestWriter; liveReplicas: () => number }) {}

  of(tenant: TenantRecord): TenantFairness {
    return {
      tenant_id: tenant.id,
      slug: tenant.slug,
      ...limitsOf(tenant),
      ...this.deps.fairness.counters(tenant.id, this.deps.writer.queueDepth(tenant.id)),
      live_replicas: this.deps.liveReplicas(),
      write_lane: this.deps.writer.laneOf(tenant),
    };
  }

  /**
   * What the proposed ingest limits would have done to the tenant's recent traffic on this replica:
   * its offered units per second replayed through the token bucket under this replica's share of
   * them, beside what today's limits admitted and shed.
   */
  whatIf(tenant: TenantRecord, query: FairnessWhatIfQuery): FairnessWhatIf {
    const limits = limitsOf(tenant);
    const rate = query.rate ?? limits.ingest_rate_per_sec;
    const burst = query.burst ?? (query.rate === undefined ? limits.ingest_burst : Math.min(100_000_000, rate * 2));
    const replicas = Math.max(1, this.deps.liveReplicas());
    const samples = this.deps.fairness.recentTraffic(tenant.id, query.seconds);
    const predicted = replay(samples, replicaShare({ ratePerSec: rate, burst }, replicas));
    const seconds = samples.map((sample, index) => ({
      at: sample.second,
      offered_units: sample.offered_units,
      admitted_units: sample.admitted_units,
      shed_units: sample.shed_units,
      predicted_admitted_units: predicted[index]?.admitted_units ?? 0,
      predicted_shed_units: predicted[index]?.shed_units ?? 0,
    }));
    const total = (key: keyof (typeof seconds)[number]) => seconds.reduce((sum, second) => sum + second[key], 0);
    return {
      tenant_id: tenant.id,
      slug: tenant.slug,
      current: { ingest_rate_per_sec: limits.ingest_rate_per_sec, ingest_burst: limits.ingest_burst },
      proposed: { ingest_rate_per_sec: rate, ingest_burst: burst },
      live_replicas: replicas,
      seconds,
      totals: {
        offered_units: total('offered_units'),
        admitted_units: total('admitted_units'),
        shed_units: total('shed_units'),
        predicted_admitted_units: total('predicted_admitted_units'),
        predicted_shed_units: total('predicted_shed_units'),
      },
    };
  }

  /** Every live tenant, in creation order, a page at a time (the cursor is opaque). */
  async page(query: { limit: number; cursor?: string | undefined }): Promise<{ items: TenantFairness[]; next_cursor: string | null }> {
    let after: { createdAt: string; id: string } | undefined;
    if (query.cursor !== undefined) {
      try {
        const cursor = Cursor.parse(JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')));
        after = { createdAt: cursor.c, id: cursor.i };
      } catch {
        throw new ApiError(400, 'invalid_request', 'The cursor is not one this route issued.', { issues: [{ path: 'cursor', message: 'unknown cursor' }] });
      }
    }
    const records = await this.deps.storage.tenants.list({ after, limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.filter((record) => record.state !== 'deleted').map((record) => this.of(record)),
      next_cursor: records.length > query.limit && last !== undefined ? Buffer.from(JSON.stringify({ c: last.createdAt, i: last.id })).toString('base64url') : null,
    };
  }

  /** The tenants this replica counts for, deleted ones left out: what /metrics shows. */
  async live(): Promise<TenantFairness[]> {
    const rows: TenantFairness[] = [];
    for (const id of this.deps.fairness.known()) {
      const tenant = await this.deps.storage.tenants.byId(id);
      if (tenant !== null && tenant.state !== 'deleted') rows.push(this.of(tenant));
    }
    return rows;
  }
}
