import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeficitRoundRobin } from './drr-scheduler';

describe('DeficitRoundRobin', () => {
  it('interleaves a quiet tenant with a flood: the quiet one is served in the first batch', () => {
    const drr = new DeficitRoundRobin<string>(500);
    for (let i = 0; i < 100; i++) drr.enqueue('noisy', `n${i}`, 500);
    drr.enqueue('quiet', 'q0', 50);
    const batch = drr.nextBatch(1000);
    expect(batch.map((entry) => entry.tenant)).toContain('quiet');
    expect(batch.reduce((sum, entry) => sum + entry.cost, 0)).toBeLessThanOrEqual(1000);
  });

  it('gives backlogged tenants equal shares of the writer whatever their arrival rates', () => {
    const drr = new DeficitRoundRobin<number>(100);
    for (let i = 0; i < 1000; i++) drr.enqueue('a', i, 10);
    for (let i = 0; i < 1000; i++) drr.enqueue('b', i, 50);
    const served = { a: 0, b: 0 };
    for (let round = 0; round < 20; round++) {
      for (const entry of drr.nextBatch(400)) served[entry.tenant as 'a' | 'b'] += entry.cost;
    }
    expect(Math.abs(served.a - served.b) / (served.a + served.b)).toBeLessThan(0.1);
  });

  it('keeps each tenant\'s order and loses nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 700 })), { maxLength: 300 }), fc.integer({ min: 1, max: 2000 }), (items, maxCost) => {
        const drr = new DeficitRoundRobin<number>(250);
        items.forEach(([tenant, cost], index) => drr.enqueue(tenant, index, cost));
        const out: { tenant: string; item: number }[] = [];
        for (let guard = 0; guard < 10_000 && drr.queued > 0; guard++) out.push(...drr.nextBatch(maxCost));
        expect(drr.queued).toBe(0);
        expect(out.map((entry) => entry.item).sort((x, y) => x - y)).toEqual(items.map((_, index) => index));
        for (const tenant of ['a', 'b', 'c']) {
          const order = out.filter((entry) => entry.tenant === tenant).map((entry) => entry.item);
          expect(order).toEqual([...order].sort((x, y) => x - y));
        }
      }),
    );
  });

  it('takes an item larger than the batch limit alone rather than starving it', () => {
    const drr = new DeficitRoundRobin<string>(1000);
    drr.enqueue('big', 'huge', 5000);
    let batch: { item: string }[] = [];
    for (let round = 0; round < 10 && batch.length === 0; round++) batch = drr.nextBatch(1000);
    expect(batch.map((entry) => entry.item)).toEqual(['huge']);
  });

  it('takes an item several quanta large in one call: the writer never waits a turn for deficit to build up', () => {
    const drr = new DeficitRoundRobin<string>(100);
    drr.enqueue('big', 'b0', 500);
    expect(drr.nextBatch(1000).map((entry) => entry.item)).toEqual(['b0']);
    expect(drr.queued).toBe(0);
  });

  it('names the tenant holding the largest share of queued work for shedding', () => {
    const drr = new DeficitRoundRobin<number>(100);
    drr.enqueue('a', 1, 300);
    drr.enqueue('b', 1, 900);
    drr.enqueue('b', 2, 100);
    expect(drr.largestShare()).toBe('b');
    expect(drr.depth('b')).toBe(2);
    expect(drr.queued).toBe(1300);
    expect(new DeficitRoundRobin<number>(1).largestShare()).toBeNull();
  });
});

describe('DeficitRoundRobin.popLast', () => {
  it('takes back the newest item of one tenant and keeps the others and the totals right', () => {
    const drr = new DeficitRoundRobin<string>(10);
    drr.enqueue('a', 'a1', 5);
    drr.enqueue('a', 'a2', 7);
    drr.enqueue('b', 'b1', 3);
    expect(drr.popLast('a')).toEqual({ item: 'a2', cost: 7 });
    expect(drr.queued).toBe(8);
    expect(drr.popLast('a')).toEqual({ item: 'a1', cost: 5 });
    expect(drr.popLast('a')).toBeNull();
    expect(drr.largestShare()).toBe('b');
    expect(drr.nextBatch(100).map((entry) => entry.item)).toEqual(['b1']);
    expect(drr.queued).toBe(0);
  });
});
