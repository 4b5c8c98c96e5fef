import { z } from 'zod';
import type { TenantFairness } from '../../contracts/fairness';
import { ApiError } from '../errors';
import { limitsOf, type FairnessRegistry } from '../fairness/fairness-registry';
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
