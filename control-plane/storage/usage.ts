import type { TenantRecord, TenantRef } from './tenants';

/**
 * Usage meters for billing, per tenant per UTC day, each counted in the transaction of the writes
 * it counts. Counters (results, bytes and flow events of stored batches; AI calls) sit beside the
 * tenant's telemetry (see telemetry-store.ts); gauges (agents, tests) beside what they count: each
 * change writes the day's level and keeps the day's peak, so a period's peak is the highest daily
 * peak in it or the level carried into it, and removing agents never lowers a peak already seen.
 * When a tenant is deleted its usage is copied into the shared store first (its own stores go):
 * billing outlives the tenant.
 */

export const COUNTER_METERS = ['results_ingested', 'ingest_bytes', 'flow_events', 'ai_calls'] as const;
export const GAUGE_METERS = ['agents', 'tests'] as const;
export type CounterMeter = (typeof COUNTER_METERS)[number];
export type GaugeMeter = (typeof GAUGE_METERS)[number];
export type Meter = CounterMeter | GaugeMeter;

/** UTC days (YYYY-MM-DD), both included. */
export interface DayRange {
  fromDay: string;
  toDay: string;
}

/** One tenant's usage over a range: counters summed, gauges at their peak. Meters with no usage are absent. */
export interface TenantUsage {
  tenantId: string;
  slug: string;
  state: TenantRecord['state'];
  values: Partial<Record<Meter, number>>;
}

/** A page of tenants' usage; `next` is where the next page starts (null: this was the last). */
export interface UsagePage {
  usage: TenantUsage[];
  next: string | null;
}

/** A meter's value on one day: a counter's sum, or a gauge's peak that day. */
export interface UsageDay {
  day: string;
  meter: Meter;
  value: number;
}

export interface UsageReader {
  /**
   * A page of tenants (every state, in id order after `afterId`) created on or before the range's
   * last day, with their usage over the range. Callers iterate pages: the export never holds more.
   */
  page(range: DayRange, afterId: string | null, limit: number): Promise<UsagePage>;
  /** One tenant's daily values in the range, and the gauge levels carried into it (the level at the end of the last day before it). */
  days(tenant: TenantRef & Pick<TenantRecord, 'state'>, range: DayRange): Promise<{ days: UsageDay[]; carried: Partial<Record<GaugeMeter, number>> }>;
}

/** The usage part of a write transaction. */
export interface UsageWrites {
  /**
   * Copies a tenant's usage (counters and gauges) into the shared store, the gauges ending at 0 on
   * `at`'s day: on delete, before its data is purged, so its billing counts outlive its stores.
   */
  retainUsage(tenant: TenantRef, at: string): Promise<void>;
}

/** The period values of daily rows: counters summed, gauges the peak of the days and the level carried in. */
export function periodValues(days: readonly UsageDay[], carried: Partial<Record<GaugeMeter, number>>): Partial<Record<Meter, number>> {
  const values: Partial<Record<Meter, number>> = {};
  for (const [meter, level] of Object.entries(carried) as [GaugeMeter, number][]) {
    if (level > 0) values[meter] = level;
  }
  for (const { meter, value } of days) {
    const gauge = (GAUGE_METERS as readonly string[]).includes(meter);
    values[meter] = gauge ? Math.max(values[meter] ?? 0, value) : (values[meter] ?? 0) + value;
  }
  return values;
}
