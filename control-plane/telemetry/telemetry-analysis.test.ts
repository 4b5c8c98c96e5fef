import { describe, expect, it } from 'vitest';
import type { TelemetryResultRow } from '../storage/types';
import { findAnomalies, median, robustZ, summarize } from './telemetry-analysis';

const row = (testId: string, ts: number, latencyMs: number | null, ok = true): TelemetryResultRow => ({ testId, ts: new Date(ts).toISOString(), latencyMs, ok, batchId: 'b', idx: 0 });

describe('summarize', () => {
  it('counts results and failures, loss in percent, latency percentiles of answered probes', () => {
    const rows = [...Array.from({ length: 100 }, (_, i) => row('t', i, i + 1)), row('t', 200, null, false), row('u', 0, 5)];
    const [t, u] = summarize(rows);
    expect(t).toEqual({ testId: 't', results: 101, failures: 1, lossPct: 100 / 101, p50: 50, p95: 95, p99: 99 });
    expect(u).toMatchObject({ testId: 'u', results: 1, failures: 0, p50: 5, p99: 5 });
  });
});

describe('robust z-score', () => {
  it('is 0.6745 (x - median) / MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(robustZ(12, [1, 2, 3, 4, 5])).toBeCloseTo((0.6745 * (12 - 3)) / 1, 6);
  });

  it('is not fooled by the outliers it looks for', () => {
    expect(Math.abs(robustZ(10, [10, 11, 9, 10, 500, 10, 9]))).toBeLessThan(1);
  });

  it('on a flat baseline: 0 when unchanged, large when it moves', () => {
    expect(robustZ(5, [5, 5, 5])).toBe(0);
    expect(robustZ(6, [5, 5, 5])).toBe(99);
  });
});

describe('findAnomalies', () => {
  const from = 0;
  const to = 12 * 60_000;
  it('flags latency and loss jumps in the latest window only, worst first', () => {
    const rows: TelemetryResultRow[] = [];
    for (let w = 0; w < 12; w++) {
      for (let k = 0; k < 10; k++) {
        const at = w * 60_000 + k * 5000;
        rows.push(row('steady', at, 20 + (k % 3)));
        rows.push(row('slow', at, w === 11 ? 300 : 20 + (k % 3)));
        rows.push(row('lossy', at, 20, !(w === 11 && k < 6)));
      }
    }
    const { analyzed, anomalies } = findAnomalies(rows, from, to, 12, 3.5);
    expect(analyzed).toBe(3);
    expect(anomalies.map((anomaly) => `${anomaly.testId}/${anomaly.metric}`).toSorted()).toEqual(['lossy/loss_pct', 'slow/latency_p50_ms']);
  });

  it('needs history: a test seen only in the latest window is not analyzed', () => {
    expect(findAnomalies([row('new', 11.5 * 60_000, 999)], from, to, 12, 3.5)).toEqual({ analyzed: 0, anomalies: [] });
  });
});
