import type { z } from 'zod';
import { issuesToDetails } from '../../contracts/errors';
import { ApiError } from './errors';

/** The first path whose string holds a NUL: no engine stores it (PostgreSQL text cannot), so no route accepts it. */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? path || '(value)' : null;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulPath(item, path ? `${path}.${index}` : String(index));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = key.includes('\u0000') ? path || '(key)' : nulPath(item, path ? `${path}.${key}` : key);
      if (found !== null) return found;
    }
  }
  return null;
}

/** Whether any string or key in the value holds a NUL (the hot path: no path strings are built). */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) {
    for (const item of value) if (holdsNul(item)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (key.includes('\u0000') || holdsNul((value as Record<string, unknown>)[key])) return true;
    }
  }
  return false;
}

/** Parses a request part with its contract schema; a failure is `400 invalid_request` naming the offending paths. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const nul = holdsNul(value) ? nulPath(value, '') : null;
  if (nul !== null) {
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: ${nul} contains a NUL character.`, { issues: [{ path: nul, message: 'NUL characters are not accepted' }] });
  }
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    const paths = details.issues.map((issue) => issue.path || `(${what})`).join(', ');
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: ${paths}.`, details);
  }
  return parsed.data;
}
