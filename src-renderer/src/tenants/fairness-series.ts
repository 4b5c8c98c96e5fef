// The fairness chart's data: the control plane answers counters since it started (admitted and shed
// units, p50/p99 latency); polled every second, their differences are units per second.
import { type FairnessCounters } from '../../../contracts/fairness';

export type FairnessSample = { at: number; counters: Pick<FairnessCounters, 'admitted_units' | 'shed_units' | 'latency_p50_ms' | 'latency_p99_ms'> };

/** uPlot's columns: seconds, admitted/s, shed/s, p50 ms, p99 ms. */
export type FairnessColumns = [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]];

/** How many seconds the chart shows. */
export const WINDOW_SECONDS = 120;

/** Adds a sample, keeping the last WINDOW_SECONDS (+1, for the first difference). */
export function addSample(samples: readonly FairnessSample[], sample: FairnessSample): FairnessSample[] {
  const kept = samples.filter((item) => item.at > sample.at - (WINDOW_SECONDS + 1) * 1000 && item.at < sample.at);
  return [...kept, sample];
}

/**
 * Rates between consecutive samples. A counter that went down (the control plane restarted, or
 * another replica answered) starts afresh: that interval is a gap (null), never a negative rate.
 */
export function toColumns(samples: readonly FairnessSample[]): FairnessColumns {
  const columns: FairnessColumns = [[], [], [], [], []];
  for (let index = 1; index < samples.length; index++) {
    const previous = samples[index - 1];
    const current = samples[index];
    if (previous === undefined || current === undefined) continue;
    const seconds = (current.at - previous.at) / 1000;
    const admitted = current.counters.admitted_units - previous.counters.admitted_units;
    const shed = current.counters.shed_units - previous.counters.shed_units;
    const valid = seconds > 0 && admitted >= 0 && shed >= 0;
    columns[0].push(current.at / 1000);
    columns[1].push(valid ? admitted / seconds : null);
    columns[2].push(valid ? shed / seconds : null);
    columns[3].push(current.counters.latency_p50_ms);
    columns[4].push(current.counters.latency_p99_ms);
  }
  return columns;
}

/** The newest rates, for the figures shown beside the chart (and read by screen readers). */
export function latest(columns: FairnessColumns): { admitted: number | null; shed: number | null; p50: number | null; p99: number | null } {
  const last = columns[0].length - 1;
  return { admitted: columns[1][last] ?? null, shed: columns[2][last] ?? null, p50: columns[3][last] ?? null, p99: columns[4][last] ?? null };
}
