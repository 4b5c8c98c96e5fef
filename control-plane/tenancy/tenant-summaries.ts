import type { FairnessCounters } from '../../contracts/fairness';
import type { TenantState, TenantSummary, TenantSummaryPage } from '../../contracts/tenants';
import { decodeCreatedCursor, encodeCreatedCursor } from '../created-cursor';
import type { Storage, TenantRecord } from '../storage/types';

export interface TenantSummariesDeps {
  storage: Storage;
  /** This replica's fairness counters of a tenant (FairnessRegistry.counters). */
  counters: (tenantId: string) => Pick<FairnessCounters, 'admitted_units' | 'shed_units'>;
  clock: () => Date;
}

/** What the caller may see beyond the tenant row: usage meters (usage:read), fairness counters (fairness:read). */
export interface SummaryReach {
  usage: boolean;
  fairness: boolean;
}

/** The first and last day (YYYY-MM-DD) of `at`'s UTC month. */
export function monthDays(at: Date): { month: string; from: string; to: string } {
  const month = at.toISOString().slice(0, 7);
  const last = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate();
  return { month, from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/** shed / (admitted + shed), or null before any ingest unit was offered. */
export function shedRate(counters: Pick<FairnessCounters, 'admitted_units' | 'shed_units'>): number | null {
  const offered = counters.admitted_units + counters.shed_units;
  return offered === 0 ? null : counters.shed_units / offered;
}

/**
 * The tenants table of the console, a page at a time: each tenant's row with its counts (agents,
 * users), its results this month (a usage meter) and its shed rate. Counts and rates only: nothing
 * here reads telemetry content, so it needs no break-glass grant.
 */
export class TenantSummaries {
  constructor(private readonly deps: TenantSummariesDeps) {}

  async page(query: { limit: number; cursor?: string | undefined; state?: TenantState | undefined }, reach: SummaryReach): Promise<TenantSummaryPage> {
    const after = query.cursor === undefined ? undefined : decodeCreatedCursor(query.cursor);
    const records = await this.deps.storage.tenants.list({ state: query.state, after, limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    const days = monthDays(this.deps.clock());
    const items: TenantSummary[] = [];
    // One tenant at a time: SQLite answers synchronously anyway, and PostgreSQL's pool is not flooded.
    for (const record of page) {
      items.push(await this.summary(record, days, reach));
    }
    return { items, next_cursor: records.length > query.limit && last !== undefined ? encodeCreatedCursor(last) : null, month: days.month };
  }

  private async summary(record: TenantRecord, days: { from: string; to: string }, reach: SummaryReach): Promise<TenantSummary> {
    const live = record.state !== 'deleted';
    const counts = live ? await this.deps.storage.tenantScope(record).counts() : { agents: 0, users: 0 };
    let results: number | null = null;
    if (live && reach.usage) {
      const meters = await this.deps.storage.telemetry.usage(record, days.from, days.to);
      results = meters.reduce((sum, row) => (row.meter === 'results_ingested' ? sum + row.value : sum), 0);
    }
    return {
      id: record.id,
      slug: record.slug,
      name: record.name,
      isolation_model: record.isolationModel,
      residency: record.residency,
      plan: record.plan,
      state: record.state,
      created_at: record.createdAt,
      agents: counts.agents,
      users: counts.users,
      results_this_month: results,
      shed_rate: live && reach.fairness ? shedRate(this.deps.counters(record.id)) : null,
    };
  }
}
