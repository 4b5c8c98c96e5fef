import { z } from 'zod';
import { ProviderRole } from '../../../contracts/operators';
import type { LoginThrottleRecord, NewOperator, NewSession, OperatorRecord, SessionRecord } from '../operators';
import { bytes, integer, json, optionalInteger, optionalText, text } from './columns';

/** The rows of operators, operator_sessions and login_throttle, the same on both engines. */

/** Columns in insert order (last_totp_step starts out NULL). */
export const OPERATOR_COLUMNS = ['id', 'username', 'password_hash', 'totp_secret_sealed', 'roles', 'created_at', 'totp_confirmed_at'] as const;

/**
 * How both engines read operators: every column, and how many recovery codes each has left.
 * `{schema}` is the engine's prefix for table names ('' on SQLite, 'bh.' on PostgreSQL).
 */
export function selectOperatorsSql(schema: '' | 'bh.'): string {
  return `SELECT o.*, (SELECT COUNT(*) FROM ${schema}operator_recovery_codes r WHERE r.operator_id = o.id) AS recovery_codes_left FROM ${schema}operators o`;
}

const OperatorRow = z.object({
  id: text,
  username: text,
  password_hash: text,
  totp_secret_sealed: bytes,
  roles: json(ProviderRole.array()),
  created_at: text,
  last_totp_step: optionalInteger,
  totp_confirmed_at: optionalText,
  recovery_codes_left: integer,
  totp_replacement_sealed: bytes.nullable(),
});

export function operatorFromRow(value: unknown): OperatorRecord {
  const row = OperatorRow.parse(value);
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    roles: row.roles,
    createdAt: row.created_at,
    lastTotpStep: row.last_totp_step,
    totpConfirmedAt: row.totp_confirmed_at,
    recoveryCodesLeft: row.recovery_codes_left,
    totpReplacementSealed: row.totp_replacement_sealed,
  };
}

export function operatorColumns(operator: NewOperator): Record<(typeof OPERATOR_COLUMNS)[number], string | Buffer | null> {
  return {
    id: operator.id,
    username: operator.username,
    password_hash: operator.passwordHash,
    totp_secret_sealed: operator.totpSecretSealed,
    roles: JSON.stringify(operator.roles),
    created_at: operator.createdAt,
    totp_confirmed_at: operator.totpConfirmedAt,
  };
}

/** Columns in insert order: a new session was last seen when it was created. */
export const SESSION_COLUMNS = ['id', 'token_hash', 'operator_id', 'created_at', 'last_seen_at', 'expires_at'] as const;

const SessionRow = z.object({ id: text, operator_id: text, created_at: text, last_seen_at: text, expires_at: text, revoked_at: optionalText });

export function sessionFromRow(value: unknown): SessionRecord {
  const row = SessionRow.parse(value);
  return { id: row.id, operatorId: row.operator_id, createdAt: row.created_at, lastSeenAt: row.last_seen_at, expiresAt: row.expires_at, revokedAt: row.revoked_at };
}

export function sessionColumns(session: NewSession): Record<(typeof SESSION_COLUMNS)[number], string> {
  return {
    id: session.id,
    token_hash: session.tokenHash,
    operator_id: session.operatorId,
    created_at: session.createdAt,
    last_seen_at: session.createdAt,
    expires_at: session.expiresAt,
  };
}

const ThrottleRow = z.object({ failures: integer, locked_until: optionalText });

/** A login_throttle row; a key never throttled has none (no failures, no lock). */
export function throttleFromRow(value: unknown): LoginThrottleRecord {
  if (value === undefined) return { failures: 0, lockedUntil: null };
  const row = ThrottleRow.parse(value);
  return { failures: row.failures, lockedUntil: row.locked_until };
}
