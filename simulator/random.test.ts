import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random';

describe('SeededRandom', () => {
  const draws = (random: SeededRandom) => Array.from({ length: 20 }, () => random.int(0, 1_000_000));

  it('draws the same numbers for the same seed and label, different ones otherwise', () => {
    expect(draws(new SeededRandom(7))).toEqual(draws(new SeededRandom(7)));
    expect(draws(new SeededRandom(7))).not.toEqual(draws(new SeededRandom(8)));
    expect(draws(new SeededRandom(7).stream('a'))).not.toEqual(draws(new SeededRandom(7).stream('b')));
  });

  it('keeps streams independent: drawing from one never shifts another', () => {
    const root = new SeededRandom(42);
    const untouched = draws(root.stream('agents'));
    const other = root.stream('names');
    draws(other);
    expect(draws(new SeededRandom(42).stream('agents'))).toEqual(untouched);
  });

  it('stays in range, shuffles to a permutation and jitters within its fraction', () => {
    const random = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const n = random.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
      const jittered = random.jitter(100, 0.2);
      expect(jittered).toBeGreaterThanOrEqual(80);
      expect(jittered).toBeLessThanOrEqual(120);
    }
    const items = Array.from({ length: 30 }, (_, i) => i);
    const shuffled = random.shuffle(items);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(() => random.pick([])).toThrow(RangeError);
  });
});
