import { describe, expect, it } from 'vitest';
import type { SecondSample } from './offered-history';
import { replay, takesOf } from './what-if';

const sample = (second: number, offered: number, takes: number): SecondSample => ({ second, offered_units: offered, offered_takes: takes, admitted_units: 0, shed_units: 0 });

/**
 * A naive reference bucket: refilled one millisecond at a time (rates here are whole multiples of
 * 500/s, so each step adds an exact binary fraction), all-or-none takes at whole milliseconds.
 */
function naiveReplay(samples: readonly SecondSample[], ratePerSec: number, burst: number) {
  let tokens = burst;
  let clock = (samples[0]?.second ?? 0) * 1000;
  return samples.map((entry) => {
    let admitted = 0;
    let shed = 0;
    for (const take of takesOf(entry)) {
      while (clock < take.atMs) {
        tokens = Math.min(burst, tokens + ratePerSec / 1000);
        clock += 1;
      }
      if (take.units === 0) continue;
      if (take.units <= burst && tokens >= take.units) {
        tokens -= take.units;
        admitted += take.units;
      } else {
        shed += take.units;
      }
    }
    return { second: entry.second, admitted_units: admitted, shed_units: shed };
  });
}

describe('the fairness what-if replay', () => {
  it('splits a second’s units over its takes, evenly spaced', () => {
    expect(takesOf(sample(3, 10, 4))).toEqual([
      { atMs: 3000, units: 3 },
      { atMs: 3250, units: 3 },
      { atMs: 3500, units: 2 },
      { atMs: 3750, units: 2 },
    ]);
    expect(takesOf(sample(3, 0, 0))).toEqual([]);
  });

  it('holds a flood to the rate plus one burst, and admits it all under a high enough limit', () => {
    const flood = Array.from({ length: 10 }, (_, index) => sample(100 + index, 10_000, 100));
    const tight = replay(flood, { ratePerSec: 1000, burst: 2000 });
    const admitted = tight.reduce((total, entry) => total + entry.admitted_units, 0);
    expect(admitted).toBeGreaterThanOrEqual(10 * 1000);
    expect(admitted).toBeLessThanOrEqual(10 * 1000 + 2000);
    expect(tight.every((entry) => entry.admitted_units + entry.shed_units === 10_000)).toBe(true);
    expect(replay(flood, { ratePerSec: 20_000, burst: 40_000 }).every((entry) => entry.shed_units === 0)).toBe(true);
  });

  it('sheds a batch larger than the burst, however long it waited', () => {
    expect(replay([sample(0, 0, 0), sample(1, 500, 1)], { ratePerSec: 1000, burst: 400 })).toEqual([
      { second: 0, admitted_units: 0, shed_units: 0 },
      { second: 1, admitted_units: 0, shed_units: 500 },
    ]);
  });

  it('agrees with a naive millisecond-by-millisecond bucket over random traffic and limits', () => {
    let seed = 99;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 40; round++) {
      const takesChoices = [0, 1, 2, 4, 5, 8, 10, 20, 25, 40];
      const samples = Array.from({ length: 120 }, (_, index) => {
        const takes = takesChoices[Math.floor(random() * takesChoices.length)] ?? 1;
        return sample(5_000 + index, takes === 0 ? 0 : takes + Math.floor(random() * 4000), takes);
      });
      const ratePerSec = 500 * (1 + Math.floor(random() * 6));
      const burst = 100 + Math.floor(random() * 4000);
      expect(replay(samples, { ratePerSec, burst }), `round ${round}`).toEqual(naiveReplay(samples, ratePerSec, burst));
    }
  });
});
