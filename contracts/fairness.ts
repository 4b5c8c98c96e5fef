import { z } from 'zod';
import { Slug, Uuid } from './common';

/** A tenant's fairness limits: ingest as a token bucket over units, queries per minute. */
export const FairnessLimits = z.strictObject({
  ingest_rate_per_sec: z.number().int().min(1).max(10_000_000),
  ingest_burst: z.number().int().min(1).max(100_000_000),
  query_budget: z.number().int().min(1).max(1_000_000),
});
export type FairnessLimits = z.infer<typeof FairnessLimits>;

/** `ingest_burst` defaults to two seconds of the rate. */
export const PutFairnessRequest = z.strictObject({
  ingest_rate_per_sec: FairnessLimits.shape.ingest_rate_per_sec,
  ingest_burst: FairnessLimits.shape.ingest_burst.optional(),
  query_budget: FairnessLimits.shape.query_budget,
});
export type PutFairnessRequest = z.infer<typeof PutFairnessRequest>;

export const defaultFairness: FairnessLimits = { ingest_rate_per_sec: 5000, ingest_burst: 10_000, query_budget: 600 };

export const FairnessCounters = z.strictObject({
  admitted_calls: z.number().int(),
  admitted_units: z.number().int(),
  shed_calls: z.number().int(),
  shed_units: z.number().int(),
  queue_depth: z.number().int(),
  latency_p50_ms: z.number().nullable(),
  latency_p99_ms: z.number().nullable(),
});
export type FairnessCounters = z.infer<typeof FairnessCounters>;

export const TenantFairness = z.strictObject({
  tenant_id: Uuid,
  slug: Slug,
  ...FairnessLimits.shape,
  ...FairnessCounters.shape,
  /** Replicas sharing the tenant's limits (each admits 1/n). */
  live_replicas: z.number().int(),
  /**
   * The writer queue the tenant's admitted batches wait in: `cell:<n>` (a pooled SQLite cell, one
   * file shared by the pooled tenants placed in it), `pooled` (PostgreSQL's shared tables),
   * `own:<tenant id>` (a store of its own), or `all` with fairness off. Tenants on one lane are
   * scheduled fairly against each other; different lanes write side by side.
   */
  write_lane: z.string(),
});
export type TenantFairness = z.infer<typeof TenantFairness>;

/**
 * The what-if (#21): the tenant's recent offered traffic replayed through the same token bucket
 * under proposed limits, before they are saved. `rate` and `burst` default to the current limits
 * (`burst` to two seconds of a proposed rate, as PUT does); `seconds` is how far back (at most an hour).
 */
export const FairnessWhatIfQuery = z.strictObject({
  rate: z.coerce.number().int().min(1).max(10_000_000).optional(),
  burst: z.coerce.number().int().min(1).max(100_000_000).optional(),
  seconds: z.coerce.number().int().min(10).max(3600).default(300),
});
export type FairnessWhatIfQuery = z.infer<typeof FairnessWhatIfQuery>;

/** One second: what was offered, what was admitted and shed (today's limits), and what the proposed limits would have. */
export const FairnessWhatIfSecond = z.strictObject({
  at: z.number().int(),
  offered_units: z.number().int(),
  admitted_units: z.number().int(),
  shed_units: z.number().int(),
  predicted_admitted_units: z.number().int(),
  predicted_shed_units: z.number().int(),
});

const WhatIfTotals = z.strictObject({
  offered_units: z.number().int(),
  admitted_units: z.number().int(),
  shed_units: z.number().int(),
  predicted_admitted_units: z.number().int(),
  predicted_shed_units: z.number().int(),
});

export const FairnessWhatIf = z.strictObject({
  tenant_id: Uuid,
  slug: Slug,
  current: z.strictObject({ ingest_rate_per_sec: z.number().int(), ingest_burst: z.number().int() }),
  proposed: z.strictObject({ ingest_rate_per_sec: z.number().int(), ingest_burst: z.number().int() }),
  /** Replicas sharing the tenant's limits: each records and replays its own traffic under its share. */
  live_replicas: z.number().int(),
  seconds: z.array(FairnessWhatIfSecond),
  totals: WhatIfTotals,
});
export type FairnessWhatIf = z.infer<typeof FairnessWhatIf>;
