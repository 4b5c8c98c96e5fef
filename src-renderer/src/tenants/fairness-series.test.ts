import { describe, expect, it } from 'vitest';
import { addSample, latest, toColumns, WINDOW_SECONDS, type FairnessSample } from './fairness-series';

const sample = (second: number, admitted: number, shed: number, p50: number | null = 10, p99: number | null = 40): FairnessSample => ({
  at: second * 1000,
  counters: { admitted_units: admitted, shed_units: shed, latency_p50_ms: p50, latency_p99_ms: p99 },
});

describe('fairness series', () => {
  it('turns counters into units per second between samples', () => {
    const columns = toColumns([sample(0, 0, 0), sample(1, 100, 20), sample(3, 300, 20, 12, 50)]);
    expect(columns).toEqual([
      [1, 3],
      [100, 100],
      [20, 0],
      [10, 12],
      [40, 50],
    ]);
    expect(latest(columns)).toEqual({ admitted: 100, shed: 0, p50: 12, p99: 50 });
  });

  it('shows a gap, never a negative rate, when the counters start afresh', () => {
    const columns = toColumns([sample(0, 500, 50), sample(1, 10, 0)]);
    expect(columns[1]).toEqual([null]);
    expect(columns[2]).toEqual([null]);
  });

  it('keeps only the window, and nothing from the future', () => {
    let samples: FairnessSample[] = [];
    for (let second = 0; second < WINDOW_SECONDS * 2; second++) samples = addSample(samples, sample(second, second, 0));
    expect(samples).toHaveLength(WINDOW_SECONDS + 1);
    expect(samples.at(-1)?.at).toBe((WINDOW_SECONDS * 2 - 1) * 1000);
    expect(addSample([sample(10, 0, 0)], sample(5, 0, 0))).toEqual([sample(5, 0, 0)]);
    expect(latest(toColumns([]))).toEqual({ admitted: null, shed: null, p50: null, p99: null });
  });
});
