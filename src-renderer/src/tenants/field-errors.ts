// Every error the control plane answers about a field is shown at that field; the rest above the form.
import { z } from 'zod';
import { isConsoleError } from '../api';
import { describeError } from '../error-text';

const Issues = z.object({ issues: z.array(z.object({ path: z.string(), message: z.string() })) });

export type FieldErrors = { byField: Readonly<Record<string, string>>; general: string[] };

/**
 * Splits a form's error (invalid_request, or invalid_branding which names its field the same way): issues whose path is one of `fields` go to that field (several joined),
 * anything else (another path, a conflict, an unreachable control plane) is a general message.
 */
export function fieldErrors(error: unknown, fields: readonly string[]): FieldErrors {
  if (error === null || error === undefined) return { byField: {}, general: [] };
  if (isConsoleError(error) && (error.code === 'invalid_request' || error.code === 'invalid_branding')) {
    const parsed = Issues.safeParse(error.details);
    if (parsed.success) {
      const byField: Record<string, string> = {};
      const general: string[] = [];
      for (const issue of parsed.data.issues) {
        if (fields.includes(issue.path)) byField[issue.path] = byField[issue.path] === undefined ? issue.message : `${byField[issue.path]}; ${issue.message}`;
        else general.push(`${issue.path || 'The request'}: ${issue.message}`);
      }
      return { byField, general };
    }
  }
  return { byField: {}, general: [describeError(error)] };
}
