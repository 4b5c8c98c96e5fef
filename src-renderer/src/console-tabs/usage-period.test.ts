import { describe, expect, it } from 'vitest';
import { monthPeriod, periodOf, periodProblems } from './usage-period';

describe('usage periods', () => {
  it('names whole UTC months, across a year boundary and in a leap year', () => {
    const now = new Date('2027-01-15T23:30:00Z');
    expect(monthPeriod(now, 0)).toEqual({ from: '2027-01-01', to: '2027-01-31' });
    expect(monthPeriod(now, -1)).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(monthPeriod(new Date('2028-03-01T00:00:00Z'), -1)).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(periodOf('last-month', { from: 'x', to: 'y' }, now)).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(periodOf('custom', { from: '2026-11-03', to: '2026-11-09' }, now)).toEqual({ from: '2026-11-03', to: '2026-11-09' });
  });

  it('refuses a custom period that is not two days in order, at the field', () => {
    expect(periodProblems({ from: '2026-11-01', to: '2026-11-30' })).toEqual({});
    expect(periodProblems({ from: '', to: '2026-11-30' })).toEqual({ from: 'A day (YYYY-MM-DD).' });
    expect(periodProblems({ from: '2026-11-10', to: '2026-11-09' })).toEqual({ to: 'The last day comes on or after the first.' });
  });
});
