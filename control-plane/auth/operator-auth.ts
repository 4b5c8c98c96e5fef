import { randomUUID } from 'node:crypto';
import type { Operator } from '../../contracts/operators';
import { open } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { ApiError } from '../errors';
import type { OperatorRecord, SessionRecord, Storage } from '../storage/types';
import { dummyPasswordHash, verifyPassword } from './password';
import { hashToken, newToken } from './tokens';
import { verifyTotp } from './totp';
import { PROVIDER_LEDGER } from '../audit/ledger-ids';

/** Sign-in and session policy of the provider plane. */
export const operatorAuthPolicy = {
  /** Failures before the first lock-out; each further failure doubles the lock. */
  freeFailures: 5,
  firstLockSeconds: 30,
  maxLockSeconds: 15 * 60,
  idleTimeoutSeconds: 30 * 60,
  absoluteLifetimeSeconds: 12 * 3600,
  /** last_seen_at is written at most this often per session. */
  touchEverySeconds: 60,
} as const;

export interface AuthenticatedOperator {
  operator: Operator;
  session: SessionRecord;
}

function publicOperator(record: OperatorRecord): Operator {
  return { id: record.id, username: record.username, roles: record.roles, created_at: record.createdAt };
}

function invalidCredentials(): ApiError {
  return new ApiError(401, 'invalid_credentials', 'The username, password or authenticator code is wrong.');
}

export function lockSeconds(failures: number): number {
  const over = failures - operatorAuthPolicy.freeFailures;
  if (over < 0) {
    return 0;
  }
  return Math.min(operatorAuthPolicy.maxLockSeconds, operatorAuthPolicy.firstLockSeconds * 2 ** over);
}

/**
 * Operator sign-in with password and TOTP, and operator sessions. Every wrong factor answers the
 * same 401; repeated failures lock the username with a growing back-off (429 locked_out).
 */
export class OperatorAuth {
  constructor(
    private readonly storage: Storage,
    private readonly deploymentKey: Buffer,
    private readonly clock: () => Date,
  ) {}

  async login(username: string, password: string, code: string): Promise<{ token: string; expiresAt: string; operator: Operator }> {
    const now = this.clock();
    const at = now.toISOString();
    const throttleKey = username.trim().toLowerCase();
    // The name as given, bounded, for the ledger: enough to spot an attack, never a password.
    const attempted = throttleKey.slice(0, 64);
    const throttle = await this.storage.loginThrottle.get(throttleKey);
    if (throttle.lockedUntil !== null && Date.parse(throttle.lockedUntil) > now.getTime()) {
      await this.storage.transaction(async (tx) => {
        await tx.appendLedger(PROVIDER_LEDGER, { actor: 'anonymous', eventType: 'OPERATOR_LOGIN_FAILED', tenantId: null, details: { username: attempted, reason: 'locked_out' } }, at);
      });
      throw this.lockedOut(throttle.lockedUntil, now);
    }
    const record = await this.storage.operators.findByUsername(throttleKey);
    // Verify a password even for unknown users, so timing does not reveal which usernames exist.
    const passwordOk = await verifyPassword(password, record?.passwordHash ?? (await dummyPasswordHash));
    let step: number | null = null;
    if (record !== null && passwordOk) {
      const secret = open(this.deploymentKey, record.totpSecretSealed, sealPurpose.operatorTotp(record.id)).toString('utf8');
      step = await verifyTotp(secret, code, now, record.lastTotpStep);
    }
    const token = newToken('bho_');
    const expiresAt = new Date(now.getTime() + operatorAuthPolicy.absoluteLifetimeSeconds * 1000).toISOString();
    const outcome = await this.storage.transaction(async (tx) => {
      if (record !== null && step !== null && (await tx.claimTotpStep(record.id, step))) {
        await tx.resetLogin(throttleKey);
        await tx.createOperatorSession({ id: randomUUID(), tokenHash: hashToken(token), operatorId: record.id, createdAt: at, expiresAt });
        await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_LOGIN', tenantId: null, details: { operator_id: record.id } }, at);
        return 'signed_in' as const;
      }
      const failures = await tx.recordLoginFailure(throttleKey, at);
      const seconds = lockSeconds(failures);
      if (seconds > 0) {
        await tx.lockLogin(throttleKey, new Date(now.getTime() + seconds * 1000).toISOString());
      }
      await tx.appendLedger(
        PROVIDER_LEDGER,
        { actor: 'anonymous', eventType: 'OPERATOR_LOGIN_FAILED', tenantId: null, details: { username: attempted, reason: 'invalid_credentials', ...(seconds > 0 ? { locked_for_seconds: seconds } : {}) } },
        at,
      );
      return 'refused' as const;
    });
    if (outcome === 'refused' || record === null) {
      throw invalidCredentials();
    }
    return { token, expiresAt, operator: publicOperator(record) };
  }

  /** The operator behind a session token, or a 401 for a missing, unknown, revoked, idle or expired session. */
  async authenticate(token: string | null): Promise<AuthenticatedOperator> {
    if (token === null) {
      throw new ApiError(401, 'unauthorized', 'Sign in first: send Authorization: Bearer <bho_ operator session token>.');
    }
    const now = this.clock();
    const session = await this.storage.operatorSessions.findByTokenHash(hashToken(token));
    if (session === null || session.revokedAt !== null) {
      throw new ApiError(401, 'unauthorized', 'This session is not valid (signed out or unknown).');
    }
    const idleUntil = Date.parse(session.lastSeenAt) + operatorAuthPolicy.idleTimeoutSeconds * 1000;
    if (Date.parse(session.expiresAt) <= now.getTime() || idleUntil <= now.getTime()) {
      throw new ApiError(401, 'session_expired', 'This session has expired; sign in again.');
    }
    const record = await this.storage.operators.findById(session.operatorId);
    if (record === null) {
      throw new ApiError(401, 'unauthorized', 'This session is not valid (operator removed).');
    }
    if (now.getTime() - Date.parse(session.lastSeenAt) >= operatorAuthPolicy.touchEverySeconds * 1000) {
      await this.storage.operatorSessions.touch(session.id, now.toISOString());
    }
    return { operator: publicOperator(record), session };
  }

  async logout(sessionId: string): Promise<void> {
    await this.storage.operatorSessions.revoke(sessionId, this.clock().toISOString());
  }

  private lockedOut(lockedUntil: string, now: Date): ApiError {
    const retryAfter = Math.max(1, Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000));
    return new ApiError(
      429,
      'locked_out',
      `Too many failed sign-ins for this username; try again in ${retryAfter} seconds.`,
      { retry_after_seconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
}
