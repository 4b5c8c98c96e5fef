import { z } from 'zod';

/**
 * Usage export for billing (API.md "Usage export"): counts an MSP's invoicing imports. The columns
 * are a stable, additive contract: new columns are only ever appended, never renamed or reordered.
 * It exports counts; it is not an invoicing engine.
 */

/** Counters are summed over the period; gauges are the peak in the period (not the end value). */
export const usageMeters = [
  { meter: 'results_ingested', kind: 'counter', unit: 'count' },
  { meter: 'ingest_bytes', kind: 'counter', unit: 'bytes' },
  { meter: 'flow_events', kind: 'counter', unit: 'count' },
  { meter: 'ai_calls', kind: 'counter', unit: 'count' },
  { meter: 'agents', kind: 'gauge', unit: 'count' },
  { meter: 'tests', kind: 'gauge', unit: 'count' },
] as const;

export type UsageMeterName = (typeof usageMeters)[number]['meter'];
export type UsageKind = (typeof usageMeters)[number]['kind'];

/** The CSV header, byte for byte (the first line of every export). */
export const USAGE_CSV_COLUMNS = ['period_start', 'period_end', 'tenant_id', 'tenant_slug', 'meter', 'kind', 'value', 'unit'] as const;

/** A UTC calendar date; both ends of a period are included. */
const Day = z.string().max(40).optional();

export const UsageExportQuery = z.strictObject({
  format: z.enum(['csv', 'json']).default('csv'),
  /** First UTC day of the period (YYYY-MM-DD); default: the first day of `to`'s month, or of the current month. */
  from: Day,
  /** Last UTC day of the period, included (YYYY-MM-DD); default: the last day of `from`'s month. */
  to: Day,
  /** One tenant only (slug or id, deleted tenants too): its rows, zeros included; default every tenant. */
  tenant: z.string().min(1).max(200).optional(),
});
export type UsageExportQuery = z.infer<typeof UsageExportQuery>;

export const UsageReportQuery = z.strictObject({
  /** The tenant's slug or id (deleted tenants too). */
  tenant: z.string().min(1).max(200),
  from: Day,
  to: Day,
});
export type UsageReportQuery = z.infer<typeof UsageReportQuery>;

/** One row of the export: one tenant, one meter, one period. */
export const UsageRow = z.strictObject({
  period_start: z.string(),
  period_end: z.string(),
  tenant_id: z.string(),
  tenant_slug: z.string(),
  meter: z.enum(usageMeters.map((entry) => entry.meter) as [UsageMeterName, ...UsageMeterName[]]),
  kind: z.enum(['counter', 'gauge']),
  value: z.number().int().nonnegative(),
  unit: z.enum(['count', 'bytes']),
});
export type UsageRow = z.infer<typeof UsageRow>;

/** `format=json`: the same rows as objects. */
export const UsageExportJson = z.strictObject({ rows: z.array(UsageRow) });
