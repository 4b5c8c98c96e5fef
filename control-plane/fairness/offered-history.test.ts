import { describe, expect, it } from 'vitest';
import { HISTORY_SECONDS, OfferedHistory, type SecondSample } from './offered-history';

/** A naive reference: every event kept in a list, summed per second on read. */
class NaiveHistory {
  readonly events: { second: number; kind: 'offer' | 'admitted' | 'shed'; units: number }[] = [];
  window(nowMs: number, seconds: number, capacity: number): SecondSample[] {
    const last = Math.floor(nowMs / 1000);
    const count = Math.min(capacity, seconds);
    const out: SecondSample[] = [];
    for (let second = last - count + 1; second <= last; second++) {
      const here = this.events.filter((event) => event.second === second);
      const sum = (kind: string) => here.filter((event) => event.kind === kind).reduce((total, event) => total + event.units, 0);
      out.push({ second, offered_units: sum('offer'), offered_takes: here.filter((event) => event.kind === 'offer').length, admitted_units: sum('admitted'), shed_units: sum('shed') });
    }
    return out;
  }
}

describe('the offered-traffic ring buffer', () => {
  it('keeps one sample per second, zeros for quiet seconds, oldest first', () => {
    const history = new OfferedHistory(10);
    history.offer(1_000_100, 5);
    history.offer(1_000_900, 7);
    history.admitted(1_000_950, 5);
    history.shed(1_000_960, 7);
    history.offer(1_003_000, 1);
    expect(history.window(1_003_500, 5)).toEqual([
      { second: 999, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
      { second: 1000, offered_units: 12, offered_takes: 2, admitted_units: 5, shed_units: 7 },
      { second: 1001, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
      { second: 1002, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
      { second: 1003, offered_units: 1, offered_takes: 1, admitted_units: 0, shed_units: 0 },
    ]);
  });

  it('forgets a second once it is older than the ring: a reused slot starts empty', () => {
    const history = new OfferedHistory(4);
    history.offer(10_000, 3);
    history.offer(14_000, 2); // same slot as second 10, four seconds later
    expect(history.window(14_000, 10)).toHaveLength(4);
    expect(history.window(14_000, 4).map((sample) => sample.offered_units)).toEqual([0, 0, 0, 2]);
    // Asking back in time past the ring reads zeros, never a newer second's counts.
    expect(history.window(10_000, 1)).toEqual([{ second: 10, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 }]);
  });

  it('matches a naive list of every event over random traffic across more than an hour', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const history = new OfferedHistory();
    const naive = new NaiveHistory();
    let now = 1_700_000_000_000;
    for (let step = 0; step < 20_000; step++) {
      now += Math.floor(random() * 400);
      const units = 1 + Math.floor(random() * 50);
      const kind = (['offer', 'admitted', 'shed'] as const)[Math.floor(random() * 3)] ?? 'offer';
      if (kind === 'offer') history.offer(now, units);
      else if (kind === 'admitted') history.admitted(now, units);
      else history.shed(now, units);
      naive.events.push({ second: Math.floor(now / 1000), kind, units });
      if (step % 2_500 === 0) expect(history.window(now, 300)).toEqual(naive.window(now, 300, HISTORY_SECONDS));
    }
    expect(now - 1_700_000_000_000).toBeGreaterThan(HISTORY_SECONDS * 1000);
    expect(history.window(now)).toEqual(naive.window(now, HISTORY_SECONDS, HISTORY_SECONDS));
  });
});
