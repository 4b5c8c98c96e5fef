import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { daysOf, usagePeriod } from './usage-period';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.code}` : 'not an ApiError';
  }
  return undefined;
};

describe('usagePeriod: UTC calendar days, both ends included', () => {
  it('defaults to the calendar month (UTC) of now, exact at the boundaries', () => {
    expect(usagePeriod({}, new Date('2026-12-01T00:00:00.000Z'))).toEqual({ fromDay: '2026-12-01', toDay: '2026-12-31' });
    expect(usagePeriod({}, new Date('2026-11-30T23:59:59.999Z'))).toEqual({ fromDay: '2026-11-01', toDay: '2026-11-30' });
    // Local midnight in UTC+02:00 is still the previous month in UTC.
    expect(usagePeriod({}, new Date('2027-01-01T01:30:00+02:00'))).toEqual({ fromDay: '2026-12-01', toDay: '2026-12-31' });
    expect(usagePeriod({}, new Date('2028-02-10T12:00:00Z'))).toEqual({ fromDay: '2028-02-01', toDay: '2028-02-29' });
  });

  it("fills a missing end from the other's month", () => {
    const now = new Date('2026-12-05T00:00:00Z');
    expect(usagePeriod({ from: '2026-02-10' }, now)).toEqual({ fromDay: '2026-02-10', toDay: '2026-02-28' });
    expect(usagePeriod({ to: '2026-03-15' }, now)).toEqual({ fromDay: '2026-03-01', toDay: '2026-03-15' });
    expect(usagePeriod({ from: '2026-12-31', to: '2026-12-31' }, now)).toEqual({ fromDay: '2026-12-31', toDay: '2026-12-31' });
  });

  it('refuses what is not a date, a reversed period and more than 366 days, each with its code', () => {
    const now = new Date('2026-12-05T00:00:00Z');
    for (const from of ['2026-02-29', '2026-00-10', '2026-1-01', '20261201', '2026-12-01T00:00:00Z', '', ' 2026-12-01']) {
      expect(codeOf(() => usagePeriod({ from }, now)), from).toBe('400 usage_date_invalid');
    }
    expect(codeOf(() => usagePeriod({ from: '2026-12-02', to: '2026-12-01' }, now))).toBe('400 usage_period_reversed');
    expect(codeOf(() => usagePeriod({ from: '2027-01-01' , to: '2026-12-31' }, now))).toBe('400 usage_period_reversed');
    expect(usagePeriod({ from: '2027-01-01', to: '2028-01-01' }, now)).toEqual({ fromDay: '2027-01-01', toDay: '2028-01-01' });
    expect(codeOf(() => usagePeriod({ from: '2027-01-01', to: '2028-01-02' }, now))).toBe('400 usage_period_too_long');
  });

  it('lists the days of a period across month and year ends', () => {
    expect(daysOf({ fromDay: '2026-12-30', toDay: '2027-01-02' })).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(daysOf({ fromDay: '2028-02-28', toDay: '2028-03-01' })).toEqual(['2028-02-28', '2028-02-29', '2028-03-01']);
  });
});
