import quickselect from 'quickselect';

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The 1-based nearest rank of percentile p (0 < p <= 100) among n values. */
export const nearestRank = (n: number, p: number): number => Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));

/**
 * Nearest-rank p50, p95 and p99 of latencies in any order, by selection rather than a full sort: a
 * day of one test's results is 86,400 values, and sorting them was most of a summary's time.
 * Reorders `values` in place. None of the values may be NaN (nulls are left out by the caller).
 */
export function latencyPercentiles(values: Float64Array): LatencyPercentiles {
  const n = values.length;
  if (n === 0) return { p50: null, p95: null, p99: null };
  // quickselect is typed for arrays; it only indexes and swaps, which a Float64Array does natively.
  const items = values as unknown as number[];
  const k99 = nearestRank(n, 99) - 1;
  const k95 = nearestRank(n, 95) - 1;
  const k50 = nearestRank(n, 50) - 1;
  // Each selection leaves every smaller value to its left, so the next one searches only there.
  quickselect(items, k99, 0, n - 1, ascending);
  quickselect(items, k95, 0, k99, ascending);
  quickselect(items, k50, 0, k95, ascending);
  return { p50: values[k50] ?? null, p95: values[k95] ?? null, p99: values[k99] ?? null };
}

const ascending = (a: number, b: number): number => a - b;
