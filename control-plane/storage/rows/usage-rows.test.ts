import { describe, expect, it } from 'vitest';
import { periodValues } from '../usage';
import { retainedRows } from './usage-rows';

describe('usage rows', () => {
  it("a deleted tenant's gauges end at 0 on the day of its deletion, that day's peak kept; counters as they were", () => {
    const counters = [{ meter: 'results_ingested' as const, day: '2026-12-01', value: 40, level: null }];
    const gauges = [
      { meter: 'agents' as const, day: '2026-11-20', value: 5, level: 3 },
      { meter: 'tests' as const, day: '2026-12-03', value: 7, level: 6 },
    ];
    expect(retainedRows(counters, gauges, '2026-12-03')).toEqual([
      { meter: 'results_ingested', day: '2026-12-01', value: 40, level: null },
      { meter: 'agents', day: '2026-11-20', value: 5, level: 3 },
      // The peak of the deletion day stays 7 though the level falls to 0.
      { meter: 'tests', day: '2026-12-03', value: 7, level: 0 },
      // Agents held 3 into the deletion day: that day's peak is 3, then 0.
      { meter: 'agents', day: '2026-12-03', value: 3, level: 0 },
    ]);
  });

  it('period values: counters summed, gauges the highest of the daily peaks and the level carried in', () => {
    const days = [
      { day: '2026-12-01', meter: 'results_ingested' as const, value: 10 },
      { day: '2026-12-02', meter: 'results_ingested' as const, value: 5 },
      { day: '2026-12-02', meter: 'agents' as const, value: 2 },
    ];
    expect(periodValues(days, { agents: 4, tests: 0 })).toEqual({ results_ingested: 15, agents: 4 });
    expect(periodValues(days, { agents: 1 })).toEqual({ results_ingested: 15, agents: 2 });
  });
});
