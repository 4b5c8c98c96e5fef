// The Usage screens' period picker: calendar months in UTC (as the control plane meters them) or two days.

export type PeriodChoice = 'this-month' | 'last-month' | 'custom';
export type Period = { from: string; to: string };

const day = (date: Date) => date.toISOString().slice(0, 10);

/** A whole UTC calendar month, `offset` months from `now`'s (0: this month, -1: last month). */
export function monthPeriod(now: Date, offset: number): Period {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset + 1, 0));
  return { from: day(first), to: day(last) };
}

/** The period a choice names; a custom one is the two days as typed (the control plane checks them). */
export function periodOf(choice: PeriodChoice, custom: Period, now: Date): Period {
  if (choice === 'this-month') return monthPeriod(now, 0);
  if (choice === 'last-month') return monthPeriod(now, -1);
  return custom;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Why a custom period cannot be asked for, by field; empty when it can. */
export function periodProblems(period: Period): Partial<Record<keyof Period, string>> {
  const problems: Partial<Record<keyof Period, string>> = {};
  if (!DAY.test(period.from) || Number.isNaN(Date.parse(period.from))) problems.from = 'A day (YYYY-MM-DD).';
  if (!DAY.test(period.to) || Number.isNaN(Date.parse(period.to))) problems.to = 'A day (YYYY-MM-DD).';
  if (problems.from === undefined && problems.to === undefined && period.to < period.from) problems.to = 'The last day comes on or after the first.';
  return problems;
}
