// One human sentence for every error the console may answer, specific where the operator can act.
import { z } from 'zod';
import { isConsoleError } from './api';

/** Contract field paths → the labels the operator sees on screen. */
export type FieldLabels = Readonly<Record<string, string>>;

const InvalidRequestDetails = z.object({
  issues: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
});

const LockedOutDetails = z.object({ retry_after_seconds: z.number().int().positive() });

export function formatWait(seconds: number): string {
  if (seconds < 60) {
    return seconds === 1 ? '1 second' : `${seconds} seconds`;
  }
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export function describeError(error: unknown, fieldLabels: FieldLabels = {}): string {
  if (!isConsoleError(error)) {
    return error instanceof Error && error.message ? error.message : 'Something went wrong.';
  }
  switch (error.code) {
    case 'invalid_credentials':
      // Never say which factor was wrong.
      return 'The username, password or code is wrong.';
    case 'locked_out': {
      const details = LockedOutDetails.safeParse(error.details);
      const when = details.success ? `in ${formatWait(details.data.retry_after_seconds)}` : 'later';
      return `Too many failed sign-in attempts. Sign-in is locked for now; try again ${when}.`;
    }
    case 'invalid_request': {
      const details = InvalidRequestDetails.safeParse(error.details);
      if (!details.success) {
        return error.message || 'The request was not valid.';
      }
      const fields = details.data.issues.map((issue) => {
        const label = fieldLabels[issue.path] ?? (issue.path || 'the request');
        return `${label} (${issue.message})`;
      });
      return `Check ${fields.length === 1 ? 'this field' : 'these fields'}: ${fields.join(', ')}.`;
    }
    case 'totp_replayed':
      return 'That code was just used. Wait for the next code in your authenticator app, then try again.';
    case 'enrollment_required':
      return 'This account has not set up its authenticator app yet.';
    case 'control_plane_unreachable':
      return 'Bulkhead could not reach the control plane. Check that it is running and reachable, then try again.';
    case 'session_expired':
      return 'Your session has expired. Sign in again.';
    default:
      return error.message || 'Something went wrong.';
  }
}
