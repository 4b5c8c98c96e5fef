import { z } from 'zod';
import { Timestamp, Uuid } from './common';

export const providerRoles = ['provider_admin', 'provider_operator', 'billing_viewer'] as const;
export const ProviderRole = z.enum(providerRoles);
export type ProviderRole = z.infer<typeof ProviderRole>;

export const Username = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dot, dash, underscore');
/** Passwords are checked for length only; strength is the operator's policy, not a character-class game. */
export const Password = z.string().min(12, 'at least 12 characters').max(1024);
export const TotpCode = z.string().regex(/^\d{6}$/, 'a 6-digit code');

/**
 * A recovery code: 16 characters of base32 (80 random bits), shown as four groups of four. Typed
 * back in any case, with or without the dashes or spaces between groups.
 */
export const RecoveryCode = z
  .string()
  .regex(/^\s*[A-Za-z2-7]{4}(?:[-\s]?[A-Za-z2-7]{4}){3}\s*$/, 'a recovery code such as ABCD-EFGH-JKLM-NPQR');

export const Operator = z.strictObject({
  id: Uuid,
  username: Username,
  roles: z.array(ProviderRole),
  created_at: Timestamp,
  /** When the operator confirmed its authenticator with a first code; null while its enrollment is pending. */
  totp_confirmed_at: Timestamp.nullable(),
  /** Unused recovery codes the operator has left. */
  recovery_codes_left: z.number().int().min(0),
});
export type Operator = z.infer<typeof Operator>;

/**
 * Sign-in: password plus a TOTP code, or plus one of the operator's recovery codes. With neither, an
 * enrolled operator is refused like any wrong factor; an operator whose enrollment is pending gets
 * `403 enrollment_required` and goes on to POST /auth/enrollment.
 */
export const LoginRequest = z
  .strictObject({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
    totp: TotpCode.optional(),
    recovery_code: RecoveryCode.optional(),
  })
  .refine((body) => body.totp === undefined || body.recovery_code === undefined, { message: 'send totp or recovery_code, not both', path: ['recovery_code'] });
export type LoginRequest = z.infer<typeof LoginRequest>;

export const LoginResponse = z.strictObject({
  token: z.string().startsWith('bho_'),
  expires_at: Timestamp,
  operator: Operator,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const CreateOperatorRequest = z.strictObject({
  username: Username,
  roles: z.array(ProviderRole).min(1).max(3),
  /** Optional: without it a random initial password is generated and returned once. */
  password: Password.optional(),
});
export type CreateOperatorRequest = z.infer<typeof CreateOperatorRequest>;

/**
 * POST /provider/v1/operators: the new operator, pending until it enrolls its own authenticator at
 * its first sign-in. The admin never sees the operator's TOTP secret.
 */
export const CreatedOperator = z.strictObject({
  operator: Operator,
  /** Only when the request set no password: shown this once, for the admin to hand over. */
  initial_password: z.string().optional(),
});
export type CreatedOperator = z.infer<typeof CreatedOperator>;

/** Username and password of an operator whose enrollment is pending (POST /auth/enrollment). */
export const EnrollmentCredentials = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export type EnrollmentCredentials = z.infer<typeof EnrollmentCredentials>;

/** A pending operator's TOTP enrollment: the secret to add to an authenticator app, as a URI and as text. */
export const PendingEnrollment = z.strictObject({
  operator: Operator,
  otpauth_uri: z.string().startsWith('otpauth://totp/'),
  secret: z.string(),
});
export type PendingEnrollment = z.infer<typeof PendingEnrollment>;

/** POST /auth/enrollment/confirm: the first code from the new authenticator finishes enrollment. */
export const ConfirmEnrollmentRequest = EnrollmentCredentials.extend({ totp: TotpCode });
export type ConfirmEnrollmentRequest = z.infer<typeof ConfirmEnrollmentRequest>;

/** Recovery codes in clear: answered once, when they are made; only their hashes are stored. */
export const RecoveryCodes = z.array(z.string().regex(/^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}$/)).min(1);

/** Enrollment confirmed: a session, and the operator's recovery codes, shown this once. */
export const EnrolledSession = LoginResponse.extend({ recovery_codes: RecoveryCodes });
export type EnrolledSession = z.infer<typeof EnrolledSession>;

/** POST /auth/recovery-codes: the signed-in operator's password again, then a new set replaces the old. */
export const RegenerateRecoveryCodesRequest = z.strictObject({ password: z.string().min(1).max(1024) });
export const RecoveryCodesView = z.strictObject({ recovery_codes: RecoveryCodes });
export type RecoveryCodesView = z.infer<typeof RecoveryCodesView>;

/** POST /auth/totp: a new authenticator for the signed-in operator (its password first); the old one works until the new one is confirmed. */
export const ReplaceTotpRequest = z.strictObject({ password: z.string().min(1).max(1024) });
export const TotpReplacement = z.strictObject({ otpauth_uri: z.string().startsWith('otpauth://totp/'), secret: z.string() });
export type TotpReplacement = z.infer<typeof TotpReplacement>;
/** POST /auth/totp/confirm: a first code from the new authenticator replaces the old one. */
export const ConfirmTotpReplacementRequest = z.strictObject({ totp: TotpCode });

/** PUT /auth/password: the signed-in operator's own password. */
export const ChangePasswordRequest = z.strictObject({
  current_password: z.string().min(1).max(1024),
  new_password: Password,
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

/** GET /provider/v1/auth/session: the session behind the presented token. */
export const SessionView = z.strictObject({ operator: Operator, expires_at: z.string() });
