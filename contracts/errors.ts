import { z } from 'zod';

/** Every error code the control plane or the console may answer. Add codes; never rename. */
export const errorCodes = [
  'invalid_request',
  'invalid_json',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'method_not_allowed',
  'unauthorized',
  'invalid_credentials',
  'locked_out',
  'session_expired',
  'forbidden',
  'no_implicit_access',
  'tenant_band_exhausted',
  'slug_taken',
  'invalid_slug',
  'slug_immutable',
  'tier_required',
  'tenant_suspended',
  'tenant_deleted',
  'quota_exceeded',
  'rate_limited',
  'invalid_branding',
  'conflict',
  'license_invalid',
  'not_ready',
  'setup_required',
  'already_initialized',
  'control_plane_unreachable',
  'control_plane_untrusted',
  'internal_error',
  'break_glass_expired',
  'break_glass_not_pending',
  'break_glass_not_approved',
  'break_glass_already_activated',
  'break_glass_not_active',
  'break_glass_not_requester',
  'break_glass_requester_cannot_approve',
  'break_glass_approver_not_user',
  'break_glass_duplicate_approver',
  'grant_expired',
  'grant_revoked',
  'grant_wrong_tenant',
  'grant_read_only',
  'grant_scope_missing',
  'deployment_key_unavailable',
  'tenant_handed_over',
  'onboarding_token_used',
  'handover_required',
  'identity_not_tenant_owned',
  'recovery_in_progress',
  'recovery_waiting',
  'recovery_not_open',
  'unknown_test',
  'enrollment_required',
  'totp_replayed',
  'usage_date_invalid',
  'usage_period_reversed',
  'usage_period_too_long',
  'domain_taken',
  'csrf_rejected',
  'invalid_tree_range',
  'headers_too_large',
  'storage_unavailable',
] as const;

export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.strictObject({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The one error envelope of API.md: `{"error":{"code","message","details"}}`. */
export const ErrorEnvelope = z.strictObject({ error: ErrorBody });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export function errorEnvelope(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorEnvelope {
  return { error: { code, message, details } };
}

/** A zod failure as the `details` of `400 invalid_request`: the offending paths, no echo of values. */
export function issuesToDetails(error: z.ZodError): { issues: { path: string; message: string }[] } {
  return {
    issues: error.issues.map((issue) => ({
      path: formatPath(issue.path, 'keys' in issue ? issue.keys : undefined),
      message: issue.message,
    })),
  };
}

function formatPath(path: readonly PropertyKey[], keys: readonly string[] | undefined): string {
  const base = path.map((segment) => String(segment)).join('.');
  if (keys && keys.length > 0) {
    return keys.map((key) => (base ? `${base}.${key}` : key)).join(',');
  }
  return base;
}
