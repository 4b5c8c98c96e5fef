import type { z } from 'zod';
import { issuesToDetails } from '../../contracts/errors';
import { ApiError } from './errors';

/** Parses a request part with its contract schema; a failure is `400 invalid_request` naming the offending paths. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    const paths = details.issues.map((issue) => issue.path || `(${what})`).join(', ');
    throw new ApiError(400, 'invalid_request', `Invalid request ${what}: ${paths}.`, details);
  }
  return parsed.data;
}
