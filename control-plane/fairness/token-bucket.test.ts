import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replicaShare, TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('admits up to the burst at once, then at the rate, all or nothing per take', () => {
    const bucket = new TokenBucket(100, 50, 0);
    expect(bucket.take(50, 0)).toEqual({ admitted: true });
    expect(bucket.take(1, 0)).toEqual({ admitted: false, retryAfterMs: 10, reason: 'rate' });
    expect(bucket.take(10, 50)).toEqual({ admitted: false, retryAfterMs: 50, reason: 'rate' });
    expect(bucket.take(10, 100)).toEqual({ admitted: true });
    expect(bucket.available(100)).toBeCloseTo(0, 6);
  });

  it('says exactly when a refused take would pass (ms precision)', () => {
    const bucket = new TokenBucket(333, 1000, 0);
    bucket.take(1000, 0);
    const refused = bucket.take(500, 0);
    expect(refused).toMatchObject({ admitted: false, retryAfterMs: 1502 });
    expect(bucket.take(500, 1501).admitted).toBe(false);
    expect(bucket.take(500, 1502).admitted).toBe(true);
  });

  it('gives refused takes successive turns, never more than one refill of the bucket away; takes that come back at their turn pass', () => {
    const bucket = new TokenBucket(5000, 5000, 0);
    bucket.take(5000, 0);
    const told = Array.from({ length: 14 }, () => bucket.take(500, 0)).map((result) => (result.admitted ? 0 : result.retryAfterMs));
    expect(told).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000, 1000, 1000]);
    for (const at of told.slice(0, 10)) expect(bucket.take(500, at).admitted).toBe(true);
    // Turns already past do not delay a newcomer: it is told when the bucket alone would admit it.
    const later = new TokenBucket(100, 100, 0);
    later.take(100, 0);
    expect(later.take(50, 0)).toMatchObject({ retryAfterMs: 500 });
    expect(later.take(10, 10_000)).toEqual({ admitted: true });
    later.take(90, 10_000);
    expect(later.take(20, 10_000)).toMatchObject({ retryAfterMs: 200 });
  });

  it('never admits a batch larger than the burst, and says it is not a matter of waiting', () => {
    const bucket = new TokenBucket(1000, 100, 0);
    expect(bucket.take(101, 10_000)).toEqual({ admitted: false, retryAfterMs: Number.POSITIVE_INFINITY, reason: 'exceeds_burst' });
  });

  it('bounds the admitted rate over any window: at most burst + rate × seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 500 })), { maxLength: 200 }), (rate, burst, steps) => {
        const bucket = new TokenBucket(rate, burst, 0);
        let now = 0;
        let admitted = 0;
        for (const [dt, units] of steps) {
          now += dt;
          if (bucket.take(units, now).admitted) admitted += units;
        }
        expect(admitted).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1e-6);
      }),
    );
  });

  it('applies new limits live, keeping its fill ratio', () => {
    const bucket = new TokenBucket(100, 100, 0);
    bucket.take(50, 0);
    bucket.reconfigure(1000, 400, 0);
    expect(bucket.available(0)).toBeCloseTo(200, 6);
    expect(bucket.take(200, 0).admitted).toBe(true);
    expect(bucket.take(100, 100)).toEqual({ admitted: true });
  });

  it('forgets the turns it handed out when the limits change: a raised rate is felt at once', () => {
    const bucket = new TokenBucket(10, 100, 0);
    bucket.take(100, 0);
    for (let i = 0; i < 5; i++) bucket.take(50, 0);
    expect(bucket.take(50, 0)).toMatchObject({ retryAfterMs: 10_000 });
    bucket.reconfigure(100_000, 100_000, 0);
    expect(bucket.take(50, 0)).toMatchObject({ retryAfterMs: 1 });
  });

  it('refuses nonsense limits', () => {
    expect(() => new TokenBucket(0, 10, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(10, -1, 0)).toThrow(RangeError);
  });
});

describe('replicaShare', () => {
  it('divides rate and burst across live replicas so the total stays at the setting', () => {
    for (const n of [1, 2, 3]) {
      const share = replicaShare({ ratePerSec: 9000, burst: 3000 }, n);
      expect(share.ratePerSec * n).toBeCloseTo(9000, 6);
      expect(share.burst * n).toBeCloseTo(3000, 6);
    }
    expect(replicaShare({ ratePerSec: 10, burst: 10 }, 0)).toEqual({ ratePerSec: 10, burst: 10 });
  });
});

describe('TokenBucket peek and refund', () => {
  it('peek answers what take would, without taking', () => {
    const bucket = new TokenBucket(100, 10, 0);
    expect(bucket.peek(10, 0)).toEqual({ admitted: true });
    expect(bucket.peek(10, 0)).toEqual({ admitted: true });
    expect(bucket.take(10, 0)).toEqual({ admitted: true });
    expect(bucket.peek(1, 0)).toEqual({ admitted: false, retryAfterMs: 10, reason: 'rate' });
    expect(bucket.peek(11, 0)).toMatchObject({ admitted: false, reason: 'exceeds_burst' });
  });

  it('refund gives back shed units, never above the burst', () => {
    const bucket = new TokenBucket(1, 10, 0);
    bucket.take(8, 0);
    bucket.refund(5, 0);
    expect(bucket.available(0)).toBe(7);
    bucket.refund(100, 0);
    expect(bucket.available(0)).toBe(10);
  });
});
