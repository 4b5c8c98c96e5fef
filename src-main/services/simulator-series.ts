import type { SimulatorTenantSeries } from '../../contracts/simulation';

/** One tenant's cumulative counters, as the simulator's `load` progress event carries them. */
export interface LoadLine {
  tenant: string;
  role: string;
  acknowledged_units: number;
  shed_units: number;
}

/** Seconds of history kept per tenant: enough for a long run's chart, bounded for IPC. */
export const MAX_POINTS = 600;

/**
 * Per-tenant rates from cumulative counters: each `load` event (about once a second) becomes one
 * point per tenant, the units admitted and shed since the previous event divided by the time between.
 * The first event of a tenant only sets its baseline.
 */
export class LoadSeries {
  private readonly last = new Map<string, { at: number; acknowledged: number; shed: number }>();
  private readonly series = new Map<string, SimulatorTenantSeries>();

  constructor(private readonly startedAt: number) {}

  add(lines: readonly LoadLine[], at: number): void {
    for (const line of lines) {
      const previous = this.last.get(line.tenant);
      this.last.set(line.tenant, { at, acknowledged: line.acknowledged_units, shed: line.shed_units });
      let entry = this.series.get(line.tenant);
      if (entry === undefined) {
        entry = { tenant: line.tenant, role: line.role, points: [] };
        this.series.set(line.tenant, entry);
      }
      if (previous === undefined || at <= previous.at) continue;
      const seconds = (at - previous.at) / 1000;
      entry.points.push({
        t_ms: Math.max(0, Math.round(at - this.startedAt)),
        admitted_per_s: Math.max(0, line.acknowledged_units - previous.acknowledged) / seconds,
        shed_per_s: Math.max(0, line.shed_units - previous.shed) / seconds,
      });
      if (entry.points.length > MAX_POINTS) entry.points.splice(0, entry.points.length - MAX_POINTS);
    }
  }

  /** Every tenant's series, noisy ones first, then by name. */
  view(): SimulatorTenantSeries[] {
    return [...this.series.values()].map((entry) => ({ ...entry, points: [...entry.points] })).sort((a, b) => (a.role === b.role ? a.tenant.localeCompare(b.tenant) : a.role === 'noisy' ? -1 : 1));
  }
}
