import type { z } from 'zod';
import { issuesToDetails } from '../../contracts/errors';
import { ApiError } from '../errors';

/** Deeper than this, a request part is refused: no contract nests anywhere near it, and walking it costs. */
export const MAX_NESTING = 64;

type Finding = { kind: 'nul'; path: string } | { kind: 'deep'; path: string } | null;

/** Whether anything needs a closer look: a NUL in a string or key, or nesting past MAX_NESTING (the hot path: no allocation; recursion stops at the bound). */
function suspicious(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_NESTING) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (suspicious(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (key.includes('\u0000') || suspicious((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/** What is wrong, and where: the first NUL, or the first place nested past MAX_NESTING. Only runs when suspicious() said so. */
function locate(value: unknown, depth: number, path: string): Finding {
  if (typeof value === 'string') return value.includes('\u0000') ? { kind: 'nul', path: path || '(value)' } : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_NESTING) return { kind: 'deep', path: path || '(value)' };
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item as unknown]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (key.includes('\u0000')) return { kind: 'nul', path: path || '(key)' };
    const found = locate(item, depth + 1, path ? `${path}.${key}` : key);
    if (found !== null) return found;
  }
  return null;
}

/** Parses a request part with its contract schema; a failure is `400 invalid_request` naming the offending paths. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const found = suspicious(value, 0) ? locate(value, 0, '') : null;
  if (found?.kind === 'nul') {
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: ${found.path} contains a NUL character.`, { issues: [{ path: found.path, message: 'NUL characters are not accepted' }] });
  }
  if (found?.kind === 'deep') {
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: nested more than ${MAX_NESTING} levels deep.`, { issues: [{ path: found.path.slice(0, 200), message: `at most ${MAX_NESTING} levels of nesting` }] });
  }
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    const paths = details.issues.map((issue) => issue.path || `(${what})`).join(', ');
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: ${paths}.`, details);
  }
  return parsed.data;
}
