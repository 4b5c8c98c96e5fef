import * as hdr from 'hdr-histogram-js';

/** Latencies in microseconds, 1 µs to 10 minutes, 3 significant digits (HdrHistogram). */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

export type Histogram = hdr.Histogram;

/** A histogram as text, to cross a process boundary. */
export const encodeHistogram = (histogram: hdr.Histogram): string => hdr.encodeIntoCompressedBase64(histogram);

/** A histogram from its text; none (undefined) is an empty one. */
export function decodeHistogram(encoded: string | undefined): hdr.Histogram {
  const merged = latencyHistogram();
  if (encoded !== undefined && encoded !== '') merged.add(hdr.decodeFromCompressedBase64(encoded));
  return merged;
}

export function mergeHistograms(histograms: Iterable<hdr.Histogram>): hdr.Histogram {
  const merged = latencyHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

export interface LatencySummary {
  samples: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

const ms = (micros: number) => Math.round(micros / 10) / 100;

export function summarize(histogram: hdr.Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { samples: 0, p50_ms: null, p99_ms: null, max_ms: null };
  return { samples: histogram.totalCount, p50_ms: ms(histogram.getValueAtPercentile(50)), p99_ms: ms(histogram.getValueAtPercentile(99)), max_ms: ms(histogram.maxValue) };
}
