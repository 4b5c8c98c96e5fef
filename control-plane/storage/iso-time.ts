/**
 * Result times in the one form agents send (`Date.prototype.toISOString`: `YYYY-MM-DDTHH:MM:SS.sssZ`,
 * years 0000 to 9999), read without Date.parse: the telemetry writer reads every result's time,
 * and Date.parse's general grammar cost it a third of a microsecond a result.
 */

const ZERO = 48;

/** The digits at `from`..`from + length` as a number, or -1 if one is not a digit. */
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const leap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds since the epoch of a time in canonical form, exactly as `new Date(ms).toISOString()`
 * writes it; NaN for anything else (other precision, an offset, 24:00, February 30th...), which
 * callers read with Date.parse. So a time this reads is one Date.parse reads the same and that
 * toISOString writes back unchanged.
 */
export function canonicalIsoMs(text: string): number {
  if (text.length !== 24) return Number.NaN;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 || text.charCodeAt(23) !== 90) return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const milli = digits(text, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0) return Number.NaN;
  const monthDays = month === 2 && leap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > monthDays) return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli;
}

/** A time as stored and compared: milliseconds since the epoch (Date.parse's reading of any form). */
export function msOfIso(text: string): number {
  const ms = canonicalIsoMs(text);
  return Number.isNaN(ms) ? Date.parse(text) : ms;
}

/** Whether `text` is exactly how toISOString writes `ms` (a time stored without its text). */
export function isCanonicalIso(ms: number, text: string): boolean {
  return canonicalIsoMs(text) === ms || new Date(ms).toISOString() === text;
}
