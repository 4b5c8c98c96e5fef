import { z } from 'zod';
import { Timestamp, Uuid } from './common';

/** A batch id: chosen by the agent and reused on retry. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The bounds of a result's numbers and strings, shared with the ingest route's fast path (http/agent/ingest-body.ts). */
export const RESULT_BOUNDS = { maxLatencyMs: 3_600_000, maxTarget: 2048, maxStatusCode: 999, maxError: 1000 } as const;

/** One probe result. The clear columns are test_id, ts, latency_ms and ok; the rest is sealed with the batch. */
export const IngestResult = z.strictObject({
  test_id: Uuid,
  ts: Timestamp,
  /** null when the probe got no answer (a loss). */
  latency_ms: z.number().min(0).max(RESULT_BOUNDS.maxLatencyMs).nullable(),
  ok: z.boolean(),
  target: z.string().max(RESULT_BOUNDS.maxTarget).optional(),
  status_code: z.number().int().min(0).max(RESULT_BOUNDS.maxStatusCode).optional(),
  error: z.string().max(RESULT_BOUNDS.maxError).optional(),
});
export type IngestResult = z.infer<typeof IngestResult>;

/** One flow record seen by an agent: stored sealed only (addresses and ports are tenant data). */
export const FlowEvent = z.strictObject({
  ts: Timestamp,
  src: z.string().min(1).max(255),
  dst: z.string().min(1).max(255),
  src_port: z.number().int().min(0).max(65_535).optional(),
  dst_port: z.number().int().min(0).max(65_535).optional(),
  protocol: z.enum(['tcp', 'udp', 'icmp', 'other']),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  packets: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type FlowEvent = z.infer<typeof FlowEvent>;

/** The most units one batch may carry; a batch is admitted or refused whole. */
export const MAX_BATCH_UNITS = 5000;

export const IngestRequest = z
  .strictObject({
    /** Chosen by the agent and reused on retry: a batch id is stored once per tenant. */
    batch_id: z.string().regex(BATCH_ID_PATTERN, '1-128 characters: letters, digits, . _ : -'),
    results: z.array(IngestResult).max(MAX_BATCH_UNITS).default([]),
    flow_events: z.array(FlowEvent).max(MAX_BATCH_UNITS).default([]),
  })
  .refine((batch) => batch.results.length + batch.flow_events.length <= MAX_BATCH_UNITS, {
    message: `a batch carries at most ${MAX_BATCH_UNITS} units (results + flow events)`,
    path: ['results'],
  });
export type IngestRequest = z.infer<typeof IngestRequest>;

/**
 * Optional ingest header: the batch's units (results + flow events). With it, a tenant over its
 * rate is refused from the headers alone, before its body is parsed; a batch whose body carries a
 * different count is refused as invalid.
 */
export const BATCH_UNITS_HEADER = 'bulkhead-batch-units';
export const BatchUnitsHeader = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'a whole number of units')
  .transform(Number)
  .pipe(z.number().int().min(0).max(MAX_BATCH_UNITS));

export const IngestResponse = z.strictObject({
  batch_id: z.string(),
  admitted_units: z.number().int(),
  /** true when this batch id was already stored: nothing was written again. */
  duplicate: z.boolean(),
});

export const TelemetryWindowQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  test_id: Uuid.optional(),
});

export const ResultsQuery = TelemetryWindowQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});

export const TelemetryResult = z.strictObject({
  test_id: Uuid,
  ts: Timestamp,
  latency_ms: z.number().nullable(),
  ok: z.boolean(),
  batch_id: z.string(),
  target: z.string().nullable(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
});

/** A flow event as read back: the event, and the batch and agent that carried it. */
export const FlowEventView = FlowEvent.extend({ batch_id: z.string(), agent_id: z.string() });

export const FlowsQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});

export const TestSummary = z.strictObject({
  test_id: Uuid,
  results: z.number().int(),
  failures: z.number().int(),
  loss_pct: z.number(),
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  latency_p99_ms: z.number().nullable(),
});

export const SummaryResponse = z.strictObject({
  from: Timestamp,
  to: Timestamp,
  /** true when the window held more rows than one summary reads; narrow the window for exact figures. */
  truncated: z.boolean(),
  tests: z.array(TestSummary),
});

export const InsightsRequest = z.strictObject({
  /** How far back to look, in minutes (default 60), split into `windows` equal windows. */
  lookback_minutes: z.number().int().min(5).max(7 * 24 * 60).default(60),
  windows: z.number().int().min(4).max(96).default(12),
  /** |robust z| at or above this marks an anomaly (Iglewicz & Hoaglin suggest 3.5). */
  threshold: z.number().min(1).max(20).default(3.5),
});

export const Anomaly = z.strictObject({
  test_id: Uuid,
  metric: z.enum(['latency_p50_ms', 'loss_pct']),
  latest: z.number(),
  baseline_median: z.number(),
  robust_z: z.number(),
  window_start: Timestamp,
});

export const InsightsResponse = z.strictObject({
  from: Timestamp,
  to: Timestamp,
  window_minutes: z.number(),
  tests_analyzed: z.number().int(),
  anomalies: z.array(Anomaly),
  summary: z.string(),
});
