import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latencyPercentiles, nearestRank } from './latency-percentiles';

/** The definition: sort, then take the value at each nearest rank. */
function byFullSort(values: readonly number[]) {
  if (values.length === 0) return { p50: null, p95: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[nearestRank(sorted.length, p) - 1] ?? null;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

describe('latencyPercentiles', () => {
  it('answers what a full sort answers, for values in any order, with many repeats or none', () => {
    const latency = fc.oneof(fc.double({ min: 0, max: 60_000, noNaN: true }), fc.integer({ min: 0, max: 5 }));
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 3_000 }), (values) => {
        expect(latencyPercentiles(Float64Array.from(values))).toEqual(byFullSort(values));
      }),
      { numRuns: 300 },
    );
  });

  it('takes the nearest rank: of 1..100, p50 is 50, p95 95 and p99 99; of one value, that value', () => {
    const hundred = Float64Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(latencyPercentiles(hundred)).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(latencyPercentiles(Float64Array.of(7.25))).toEqual({ p50: 7.25, p95: 7.25, p99: 7.25 });
  });

  it('answers nulls when no probe was answered', () => {
    expect(latencyPercentiles(new Float64Array(0))).toEqual({ p50: null, p95: null, p99: null });
  });

  it('selects within a day of values (86,400) the same as sorting them', () => {
    const day = Float64Array.from({ length: 86_400 }, (_, i) => ((i * 7_919) % 86_400) / 8 + (i % 3 === 0 ? 0.25 : 0));
    expect(latencyPercentiles(Float64Array.from(day))).toEqual(byFullSort([...day]));
  });
});
