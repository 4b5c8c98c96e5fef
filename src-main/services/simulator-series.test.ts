import { describe, expect, it } from 'vitest';
import { LoadSeries, MAX_POINTS } from './simulator-series';

const line = (tenant: string, role: string, acknowledged: number, shed: number) => ({ tenant, role, acknowledged_units: acknowledged, shed_units: shed });

describe('per-tenant rates from the simulator’s cumulative load counters', () => {
  it('turns differences between events into units per second, the first event being the baseline', () => {
    const series = new LoadSeries(1_000);
    series.add([line('acme', 'quiet', 0, 0), line('hooli', 'noisy', 0, 0)], 2_000);
    series.add([line('acme', 'quiet', 100, 0), line('hooli', 'noisy', 1_300, 8_700)], 3_000);
    series.add([line('acme', 'quiet', 300, 0), line('hooli', 'noisy', 2_600, 17_400)], 5_000);
    expect(series.view()).toEqual([
      { tenant: 'hooli', role: 'noisy', points: [{ t_ms: 2_000, admitted_per_s: 1_300, shed_per_s: 8_700 }, { t_ms: 4_000, admitted_per_s: 650, shed_per_s: 4_350 }] },
      { tenant: 'acme', role: 'quiet', points: [{ t_ms: 2_000, admitted_per_s: 100, shed_per_s: 0 }, { t_ms: 4_000, admitted_per_s: 100, shed_per_s: 0 }] },
    ]);
  });

  it('never answers a negative rate, skips an event at the same instant, and keeps the last MAX_POINTS seconds', () => {
    const series = new LoadSeries(0);
    series.add([line('acme', 'quiet', 500, 50)], 1_000);
    series.add([line('acme', 'quiet', 400, 40)], 1_000);
    series.add([line('acme', 'quiet', 300, 30)], 2_000);
    expect(series.view()[0]?.points).toEqual([{ t_ms: 2_000, admitted_per_s: 0, shed_per_s: 0 }]);
    for (let second = 3; second < MAX_POINTS + 50; second++) series.add([line('acme', 'quiet', second * 10, 0)], second * 1_000);
    const points = series.view()[0]?.points ?? [];
    expect(points).toHaveLength(MAX_POINTS);
    expect(points.at(-1)?.t_ms).toBe((MAX_POINTS + 49) * 1_000);
  });
});
