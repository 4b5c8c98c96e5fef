import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** A 32-bit seed from a run seed and a label: each part of a run draws from a stream of its own. */
function derivedSeed(seed: number, label: string): number {
  return createHash('sha256').update(`${seed}\u0000${label}`).digest().readInt32BE(0);
}

/**
 * Seeded randomness for everything a run decides (names, rates, order of events), so one seed
 * gives the same fleet and the same events. `stream(label)` gives an independent generator, so
 * adding a draw in one part of the simulator never shifts what another part draws.
 */
export class SeededRandom {
  private readonly generator: Generator;

  constructor(readonly seed: number, readonly label = 'root') {
    this.generator = xoroshiro128plus(derivedSeed(seed, label));
  }

  stream(label: string): SeededRandom {
    return new SeededRandom(this.seed, `${this.label}/${label}`);
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** A float in [0, 1). */
  float(): number {
    return uniformFloat64(this.generator);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  /** `value` spread by ±`fraction` (jitter), e.g. jitter(100, 0.2) is 80 to 120. */
  jitter(value: number, fraction: number): number {
    return value * (1 - fraction + 2 * fraction * this.float());
  }
}
