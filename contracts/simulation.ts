import { z } from 'zod';
import { Timestamp } from './common';

/**
 * The console's simulator panel (#21): a scenario run in a child process of the console's main
 * process against the active connection's control plane, with the operator's session. What the
 * renderer sees of it: the run's state, progress, per-tenant rates and the final report; never a token.
 */
export const SIMULATOR_SCENARIOS = ['noisy-neighbor', 'scim-sync', 'break-glass-drill', 'isolation-probe', 'demo'] as const;
export const SimulatorScenario = z.enum(SIMULATOR_SCENARIOS);
export type SimulatorScenario = z.infer<typeof SimulatorScenario>;

export const SimulatorStartRequest = z.strictObject({
  scenario: SimulatorScenario,
  /** The fleet and the order of events; a random one when left out. */
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  /** Tenants (not the demo's: it sizes its parts, see docs/simulator.md). */
  tenants: z.number().int().min(1).max(20).optional(),
  /** Load time of noisy-neighbor and of the demo's noisy neighbour. */
  duration_seconds: z.number().int().min(2).max(600).optional(),
  /** Keep the run's tenants afterwards (the demo from an empty console keeps them, to be looked at). */
  keep_tenants: z.boolean().optional(),
});
export type SimulatorStartRequest = z.infer<typeof SimulatorStartRequest>;

/** One second of a tenant's load: units admitted (acknowledged) and shed (429) per second. */
export const SimulatorPoint = z.strictObject({ t_ms: z.number().int().min(0), admitted_per_s: z.number().min(0), shed_per_s: z.number().min(0) });
export const SimulatorTenantSeries = z.strictObject({ tenant: z.string(), role: z.string(), points: z.array(SimulatorPoint) });
export type SimulatorTenantSeries = z.infer<typeof SimulatorTenantSeries>;

const ReportTable = z.strictObject({ title: z.string(), columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))) });
const ReportInvariant = z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string() });
const ReportPart = z.strictObject({ scenario: z.string(), ok: z.boolean(), table: ReportTable, invariants: z.array(ReportInvariant), notes: z.array(z.string()) });
export const SimulatorReport = ReportPart.extend({ seed: z.number().int(), duration_ms: z.number().int().min(0), parts: z.array(ReportPart) });
export type SimulatorReport = z.infer<typeof SimulatorReport>;

export const SimulatorRunView = z.strictObject({
  state: z.enum(['idle', 'running', 'finished', 'failed', 'stopped']),
  scenario: SimulatorScenario.nullable(),
  seed: z.number().int().nullable(),
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
  /** The latest steps, oldest first. */
  steps: z.array(z.string()),
  /** The noisy neighbour's current window. */
  window: z.strictObject({ label: z.string(), index: z.number().int(), of: z.number().int() }).nullable(),
  /** The isolation probe's attempts so far. */
  attempts: z.strictObject({ done: z.number().int(), total: z.number().int(), leaks: z.number().int() }).nullable(),
  tenants: z.array(SimulatorTenantSeries),
  report: SimulatorReport.nullable(),
  /** Why the run failed (one line, never a secret). */
  error: z.string().nullable(),
});
export type SimulatorRunView = z.infer<typeof SimulatorRunView>;
