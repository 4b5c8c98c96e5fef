import type { SecondSample } from './offered-history';
import { TokenBucket } from './token-bucket';

export interface ReplayLimits {
  ratePerSec: number;
  burst: number;
}

export interface ReplayedSecond {
  second: number;
  admitted_units: number;
  shed_units: number;
}

/**
 * The takes of one recorded second: its units split as evenly as whole units allow over its takes,
 * spaced evenly through the second (the history keeps counts per second, not each batch's instant).
 */
export function takesOf(sample: SecondSample): { atMs: number; units: number }[] {
  const takes = sample.offered_takes;
  if (takes <= 0) return [];
  const base = Math.floor(sample.offered_units / takes);
  const extra = sample.offered_units - base * takes;
  return Array.from({ length: takes }, (_, index) => ({ atMs: sample.second * 1000 + Math.floor((index * 1000) / takes), units: base + (index < extra ? 1 : 0) }));
}

/**
 * Replays recorded offered traffic through the same token bucket the control plane admits with
 * (token-bucket.ts), under `limits`: what would have been admitted and shed each second. The bucket
 * starts full at the first second, as a new or idle tenant's does. Every refused take counts as shed
 * (the replay does not invent the retries a refusal would cause: the recorded traffic has the real ones).
 */
export function replay(samples: readonly SecondSample[], limits: ReplayLimits): ReplayedSecond[] {
  const first = samples[0];
  if (first === undefined) return [];
  const bucket = new TokenBucket(limits.ratePerSec, limits.burst, first.second * 1000);
  return samples.map((sample) => {
    let admitted = 0;
    let shed = 0;
    for (const take of takesOf(sample)) {
      if (take.units === 0) continue;
      if (bucket.take(take.units, take.atMs).admitted) admitted += take.units;
      else shed += take.units;
    }
    return { second: sample.second, admitted_units: admitted, shed_units: shed };
  });
}
