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

export const Operator = z.strictObject({
  id: Uuid,
  username: Username,
  roles: z.array(ProviderRole),
  created_at: Timestamp,
});
export type Operator = z.infer<typeof Operator>;

export const LoginRequest = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
  totp: TotpCode,
});
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

/** A new operator's TOTP enrollment, shown exactly once. */
export const Enrollment = z.strictObject({
  operator: Operator,
  otpauth_uri: z.string().startsWith('otpauth://totp/'),
  secret: z.string(),
  /** Only when the request set no password. */
  initial_password: z.string().optional(),
});
export type Enrollment = z.infer<typeof Enrollment>;

/** GET /provider/v1/auth/session: the session behind the presented token. */
export const SessionView = z.strictObject({ operator: Operator, expires_at: z.string() });
