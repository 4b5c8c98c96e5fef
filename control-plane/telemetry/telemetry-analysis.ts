import type { TelemetryResultRow } from '../storage/types';
import { latencyPercentiles } from './latency-percentiles';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface TestStats {
  testId: string;
  results: number;
  failures: number;
  lossPct: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Per-test counts, loss and latency percentiles (of answered probes) over a set of results. */
export function summarize(rows: readonly TelemetryResultRow[]): TestStats[] {
  const byTest = new Map<string, { latencies: number[]; results: number; failures: number }>();
  for (const row of rows) {
    let entry = byTest.get(row.testId);
    if (entry === undefined) {
      entry = { latencies: [], results: 0, failures: 0 };
      byTest.set(row.testId, entry);
    }
    entry.results++;
    if (!row.ok) entry.failures++;
    if (row.latencyMs !== null) entry.latencies.push(row.latencyMs);
  }
  return [...byTest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([testId, entry]) => testStats(testId, entry.results, entry.failures, Float64Array.from(entry.latencies)));
}

/** One test's figures from its counts and its answered latencies in any order (reordered in place). */
export function testStats(testId: string, results: number, failures: number, latencies: Float64Array): TestStats {
  return { testId, results, failures, lossPct: results === 0 ? 0 : (100 * failures) / results, ...latencyPercentiles(latencies) };
}

/**
 * The modified z-score of Iglewicz and Hoaglin: 0.6745 (x - median) / MAD, robust to the very
 * outliers it looks for. When the MAD is 0 (a flat baseline) the mean absolute deviation stands in
 * (scaled by 1.2533 to estimate the same sigma); a flat baseline that is then departed from
 * at all scores as far as the threshold allows to say.
 */
export function robustZ(latest: number, baseline: readonly number[]): number {
  const med = median(baseline);
  const deviations = baseline.map((value) => Math.abs(value - med));
  const mad = median(deviations);
  if (mad > 0) return (0.6745 * (latest - med)) / mad;
  const meanAd = deviations.reduce((sum, value) => sum + value, 0) / Math.max(1, deviations.length);
  if (meanAd > 0) return (latest - med) / (1.2533 * meanAd);
  return latest === med ? 0 : Math.sign(latest - med) * 99;
}

export interface Anomaly {
  testId: string;
  metric: 'latency_p50_ms' | 'loss_pct';
  latest: number;
  baselineMedian: number;
  robustZ: number;
  windowStart: string;
}

/**
 * Splits [fromMs, toMs) into `windows` equal windows; for each test, the latest window's median
 * latency and loss are scored against the earlier windows (at least three with data). Anomalies
 * are those at or beyond `threshold`, worst first.
 */
export function findAnomalies(rows: readonly TelemetryResultRow[], fromMs: number, toMs: number, windows: number, threshold: number): { analyzed: number; anomalies: Anomaly[] } {
  const width = (toMs - fromMs) / windows;
  const perTest = new Map<string, { latencies: number[][]; results: number[]; failures: number[] }>();
  for (const row of rows) {
    const at = Date.parse(row.ts);
    const w = Math.min(windows - 1, Math.floor((at - fromMs) / width));
    if (w < 0) continue;
    let entry = perTest.get(row.testId);
    if (entry === undefined) {
      entry = { latencies: Array.from({ length: windows }, () => []), results: new Array<number>(windows).fill(0), failures: new Array<number>(windows).fill(0) };
      perTest.set(row.testId, entry);
    }
    entry.results[w] = (entry.results[w] ?? 0) + 1;
    if (!row.ok) entry.failures[w] = (entry.failures[w] ?? 0) + 1;
    if (row.latencyMs !== null) entry.latencies[w]?.push(row.latencyMs);
  }
  const anomalies: Anomaly[] = [];
  let analyzed = 0;
  const windowStart = new Date(fromMs + (windows - 1) * width).toISOString();
  for (const [testId, entry] of perTest) {
    const last = windows - 1;
    if ((entry.results[last] ?? 0) === 0) continue;
    const earlier = [...Array(last).keys()].filter((w) => (entry.results[w] ?? 0) > 0);
    if (earlier.length < 3) continue;
    analyzed++;
    const loss = (w: number) => (100 * (entry.failures[w] ?? 0)) / (entry.results[w] ?? 1);
    const latencyOf = (w: number) => median(entry.latencies[w] ?? []);
    const candidates: [Anomaly['metric'], number, number[]][] = [['loss_pct', loss(last), earlier.map(loss)]];
    const latencyBaseline = earlier.map(latencyOf).filter((value) => !Number.isNaN(value));
    const latestLatency = latencyOf(last);
    if (!Number.isNaN(latestLatency) && latencyBaseline.length >= 3) {
      candidates.push(['latency_p50_ms', latestLatency, latencyBaseline]);
    }
    for (const [metric, latest, baseline] of candidates) {
      const z = robustZ(latest, baseline);
      if (Math.abs(z) >= threshold) {
        anomalies.push({ testId, metric, latest, baselineMedian: median(baseline), robustZ: Math.round(z * 100) / 100, windowStart });
      }
    }
  }
  anomalies.sort((a, b) => Math.abs(b.robustZ) - Math.abs(a.robustZ));
  return { analyzed, anomalies };
}
