import { ApiError } from '../errors';
import type { DayRange } from '../storage/types';

/** The longest period one export or report covers: a year, leap day included. */
export const MAX_PERIOD_DAYS = 366;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** A UTC calendar date (YYYY-MM-DD) as its midnight, or null when it is not a real date (2026-02-30 is not). */
function parseDay(value: string): number | null {
  const match = DATE.exec(value);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = Date.UTC(year, month - 1, day);
  const date = new Date(at);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? at : null;
}

const dayText = (at: number): string => new Date(at).toISOString().slice(0, 10);
const firstOfMonth = (at: number): number => Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), 1);
const lastOfMonth = (at: number): number => Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth() + 1, 1) - DAY_MS;

function day(value: string, name: 'from' | 'to'): number {
  const at = parseDay(value);
  if (at === null) throw new ApiError(400, 'usage_date_invalid', `${name} must be a UTC calendar date, YYYY-MM-DD.`, { parameter: name });
  return at;
}

/**
 * The period of an export or report, in UTC days, both included. Neither given: the current calendar
 * month (UTC) of `now`. Only `from`: to the end of its month; only `to`: from the start of its month.
 */
export function usagePeriod(query: { from?: string | undefined; to?: string | undefined }, now: Date): DayRange {
  const from = query.from === undefined ? undefined : day(query.from, 'from');
  const to = query.to === undefined ? undefined : day(query.to, 'to');
  const start = from ?? firstOfMonth(to ?? now.getTime());
  const end = to ?? lastOfMonth(from ?? now.getTime());
  if (end < start) throw new ApiError(400, 'usage_period_reversed', 'to is before from.', { from: dayText(start), to: dayText(end) });
  const days = (end - start) / DAY_MS + 1;
  if (days > MAX_PERIOD_DAYS) throw new ApiError(400, 'usage_period_too_long', `A period covers at most ${MAX_PERIOD_DAYS} days; this one covers ${days}.`, { days, max_days: MAX_PERIOD_DAYS });
  return { fromDay: dayText(start), toDay: dayText(end) };
}

/** Every day of a period, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${range.fromDay}T00:00:00Z`); at <= Date.parse(`${range.toDay}T00:00:00Z`); at += DAY_MS) days.push(dayText(at));
  return days;
}
