import { randomUUID } from 'node:crypto';
import type { Operator } from '../../contracts/operators';
import { PROVIDER_LEDGER } from '../audit/ledger-ids';
import { open } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { ApiError } from '../errors';
import { UnknownUsernameFailures, type UnknownUsernameAggregate } from './unknown-username-failures';
import type { OperatorRecord, SessionRecord, Storage, WriteTx } from '../storage/types';
import { operatorView } from './operator-view';
import { dummyPasswordHash, verifyPassword } from './password';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { hashToken, newToken } from './tokens';
import { checkTotp, totpUri, type TotpCheck } from './totp';

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

export interface SignedIn {
  token: string;
  expiresAt: string;
  operator: Operator;
}

/** The second factor of a sign-in: a TOTP code, one recovery code, or none (only a pending operator gets further). */
export type SecondFactor = { totp: string } | { recoveryCode: string } | null;

/** Why a sign-in step was refused, as the ledger records it. */
type Refusal = 'invalid_credentials' | 'totp_replayed' | 'not_pending' | 'wrong_password';

function invalidCredentials(): ApiError {
  return new ApiError(401, 'invalid_credentials', 'The username, password or authenticator code is wrong.');
}

function totpReplayed(): ApiError {
  return new ApiError(401, 'totp_replayed', 'That code was just used; wait for the next one in your authenticator app and try again.');
}

export function lockSeconds(failures: number): number {
  const over = failures - operatorAuthPolicy.freeFailures;
  if (over < 0) {
    return 0;
  }
  return Math.min(operatorAuthPolicy.maxLockSeconds, operatorAuthPolicy.firstLockSeconds * 2 ** over);
}

/** One attempt in progress: when, whose throttle, and the operator if (and only if) the password was right. */
interface Attempt {
  now: Date;
  at: string;
  /** Where the attempt came from (the peer address), or `session` for a signed-in operator's recheck. */
  address: string;
  /** Address and username: a stranger elsewhere cannot lock an operator out. */
  throttleKey: string;
  /** The name as given, bounded, for the ledger: enough to spot an attack, never a password. */
  attempted: string;
  /** Whether an operator by that name exists (its throttle and failures are stored; others are not). */
  exists: boolean;
  record: OperatorRecord | null;
}

/**
 * Operator sign-in (password and TOTP, or a recovery code), TOTP enrollment and operator sessions.
 * Every wrong factor answers the same 401; repeated failures lock the username, from that address,
 * with a growing back-off (429 locked_out). The only distinct answers come after a right password: an enrollment
 * still pending (403 enrollment_required) and a right code already used (401 totp_replayed).
 */
export class OperatorAuth {
  private readonly unknownUsernames = new UnknownUsernameFailures();

  constructor(
    private readonly storage: Storage,
    private readonly deploymentKey: Buffer,
    private readonly clock: () => Date,
  ) {}

  async login(username: string, password: string, factor: SecondFactor, address: string): Promise<SignedIn> {
    const attempt = await this.checkPassword(username, password, address);
    const { record } = attempt;
    if (record === null) {
      return this.refuse(attempt, 'invalid_credentials');
    }
    if (record.totpConfirmedAt === null) {
      throw new ApiError(403, 'enrollment_required', 'Set up your authenticator app first: this operator has not finished its TOTP enrollment.', { username: record.username });
    }
    if (factor !== null && 'recoveryCode' in factor) {
      const hash = hashRecoveryCode(record.id, factor.recoveryCode);
      const signedIn = await this.storage.transaction(async (tx) => {
        if (!(await tx.useRecoveryCode(record.id, hash))) return null;
        const left = Math.max(0, record.recoveryCodesLeft - 1);
        return this.startSession(tx, { ...record, recoveryCodesLeft: left }, attempt, { method: 'recovery_code', recovery_codes_left: left });
      });
      return signedIn ?? this.refuse(attempt, 'invalid_credentials');
    }
    const check: TotpCheck = factor === null ? { kind: 'wrong' } : await checkTotp(this.totpSecret(record), factor.totp, attempt.now, record.lastTotpStep);
    if (check.kind !== 'ok') {
      return this.refuse(attempt, check.kind === 'replayed' ? 'totp_replayed' : 'invalid_credentials');
    }
    const signedIn = await this.storage.transaction(async (tx) => {
      // Compare-and-set: two sign-ins racing with one code cannot both win.
      if (!(await tx.claimTotpStep(record.id, check.step))) return null;
      return this.startSession(tx, record, attempt, { method: 'totp' });
    });
    return signedIn ?? this.refuse(attempt, 'totp_replayed');
  }

  /**
   * The pending enrollment of an operator that has not confirmed its authenticator yet: the secret
   * to add (as an otpauth URI for a QR code, and as text). The same as long as it is pending.
   * Password-checked and throttled like sign-in; an enrolled operator gets the same 401 as a wrong
   * password, so this is no oracle for anyone's password.
   */
  async pendingEnrollment(username: string, password: string, address: string): Promise<{ operator: Operator; otpauthUri: string; secret: string }> {
    const attempt = await this.checkPassword(username, password, address);
    const { record } = attempt;
    if (record === null || record.totpConfirmedAt !== null) {
      return this.refuse(attempt, record === null ? 'invalid_credentials' : 'not_pending');
    }
    const secret = this.totpSecret(record);
    await this.storage.transaction(async (tx) => {
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_ENROLLMENT_SHOWN', tenantId: null, details: { operator_id: record.id } }, attempt.at);
    });
    return { operator: operatorView(record), otpauthUri: totpUri(record.username, secret), secret };
  }

  /**
   * Finishes a pending enrollment with a first code from the new authenticator: the operator is
   * signed in and gets its recovery codes, in clear this once (only their hashes are stored).
   */
  async confirmEnrollment(username: string, password: string, code: string, address: string): Promise<SignedIn & { recoveryCodes: string[] }> {
    const attempt = await this.checkPassword(username, password, address);
    const { record } = attempt;
    if (record === null || record.totpConfirmedAt !== null) {
      return this.refuse(attempt, record === null ? 'invalid_credentials' : 'not_pending');
    }
    const check = await checkTotp(this.totpSecret(record), code, attempt.now, record.lastTotpStep);
    if (check.kind !== 'ok') {
      return this.refuse(attempt, check.kind === 'replayed' ? 'totp_replayed' : 'invalid_credentials');
    }
    const recovery = newRecoveryCodes(record.id);
    const signedIn = await this.storage.transaction(async (tx) => {
      if (!(await tx.confirmTotp(record.id, attempt.at))) return null;
      if (!(await tx.claimTotpStep(record.id, check.step))) {
        // Thrown, not returned: the confirmation above rolls back with it.
        throw totpReplayed();
      }
      await tx.replaceRecoveryCodes(record.id, recovery.hashes, attempt.at);
      await tx.appendLedger(
        PROVIDER_LEDGER,
        { actor: `operator:${record.username}`, eventType: 'OPERATOR_TOTP_CONFIRMED', tenantId: null, details: { operator_id: record.id, recovery_codes: recovery.codes.length } },
        attempt.at,
      );
      return this.startSession(tx, { ...record, totpConfirmedAt: attempt.at, recoveryCodesLeft: recovery.codes.length }, attempt, { method: 'enrollment' });
    });
    if (signedIn === null) {
      return this.refuse(attempt, 'not_pending');
    }
    return { ...signedIn, recoveryCodes: recovery.codes };
  }

  /**
   * Checks a signed-in operator's password again before a change to its own account (a new
   * password, new recovery codes), throttled like sign-in: a session left open is not enough.
   */
  async recheckPassword(operator: Operator, password: string): Promise<OperatorRecord> {
    const attempt = await this.checkPassword(operator.username, password, 'session');
    if (attempt.record === null) {
      return this.refuse(attempt, 'wrong_password', new ApiError(401, 'invalid_credentials', 'Your current password is wrong.'));
    }
    return attempt.record;
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
    return { operator: operatorView(record), session };
  }

  async logout(sessionId: string): Promise<void> {
    await this.storage.operatorSessions.revoke(sessionId, this.clock().toISOString());
  }

  /**
   * The first steps of every password-checked attempt: refuse a locked address and username
   * (ledgered), then verify the password, against a dummy hash for unknown users so timing does not
   * reveal which usernames exist. The record comes back only when the password was right.
   */
  private async checkPassword(username: string, password: string, address: string): Promise<Attempt> {
    const now = this.clock();
    const at = now.toISOString();
    const name = username.trim().toLowerCase();
    const throttleKey = `${address}|${name}`;
    const attempted = name.slice(0, 64);
    const record = await this.storage.operators.findByUsername(name);
    const attempt = { now, at, address, throttleKey, attempted, exists: record !== null };
    const lockedUntil = record !== null ? (await this.storage.loginThrottle.get(throttleKey)).lockedUntil : this.unknownUsernames.lockedUntil(throttleKey, now.getTime());
    const lockedUntilMs = typeof lockedUntil === 'string' ? Date.parse(lockedUntil) : lockedUntil;
    if (lockedUntilMs !== null && lockedUntilMs > now.getTime()) {
      await this.ledgerFailure({ ...attempt, record: null }, 'locked_out', {});
      throw this.lockedOut(lockedUntilMs, now);
    }
    const passwordOk = await verifyPassword(password, record?.passwordHash ?? (await dummyPasswordHash));
    return { ...attempt, record: record !== null && passwordOk ? record : null };
  }

  /** Counts a failure towards the lock-out, ledgers it, and throws: the same 401 for any wrong factor. */
  private async refuse(attempt: Attempt, reason: Refusal, error: ApiError = reason === 'totp_replayed' ? totpReplayed() : invalidCredentials()): Promise<never> {
    if (!attempt.exists) {
      // No such operator: the throttle is kept in memory and the ledger gets the failures in aggregate.
      const seconds = lockSeconds(this.unknownUsernames.recordFailure(attempt.throttleKey));
      if (seconds > 0) this.unknownUsernames.lock(attempt.throttleKey, attempt.now.getTime() + seconds * 1000);
      await this.ledgerFailure(attempt, reason, {});
      throw error;
    }
    await this.storage.transaction(async (tx) => {
      const failures = await tx.recordLoginFailure(attempt.throttleKey, attempt.at);
      const seconds = lockSeconds(failures);
      if (seconds > 0) {
        await tx.lockLogin(attempt.throttleKey, new Date(attempt.now.getTime() + seconds * 1000).toISOString());
      }
      // Only the ledger tells the reasons apart; the answer does not (but for a replayed right code).
      await tx.appendLedger(
        PROVIDER_LEDGER,
        { actor: 'anonymous', eventType: 'OPERATOR_LOGIN_FAILED', tenantId: null, details: { username: attempt.attempted, address: attempt.address, reason, ...(seconds > 0 ? { locked_for_seconds: seconds } : {}) } },
        attempt.at,
      );
    });
    throw error;
  }

  /**
   * Ledgers a failure: one entry for an operator that exists; for names that do not, at most one
   * entry per address a minute, counting the attempts since the previous one.
   */
  private async ledgerFailure(attempt: Attempt, reason: Refusal | 'locked_out', details: Record<string, unknown>): Promise<void> {
    if (!attempt.exists) {
      const aggregate = this.unknownUsernames.note(attempt.address, attempt.attempted, attempt.now);
      if (aggregate !== null) await this.ledgerUnknownUsernames(aggregate, attempt.at);
      return;
    }
    await this.storage.transaction(async (tx) => {
      await tx.appendLedger(PROVIDER_LEDGER, { actor: 'anonymous', eventType: 'OPERATOR_LOGIN_FAILED', tenantId: null, details: { username: attempt.attempted, address: attempt.address, reason, ...details } }, attempt.at);
    });
  }

  private async ledgerUnknownUsernames(aggregate: UnknownUsernameAggregate, at: string): Promise<void> {
    await this.storage.transaction(async (tx) => {
      await tx.appendLedger(
        PROVIDER_LEDGER,
        { actor: 'anonymous', eventType: 'OPERATOR_LOGIN_FAILED', tenantId: null, details: { reason: 'unknown_username', address: aggregate.address, attempts: aggregate.attempts, since: aggregate.since, usernames: aggregate.usernames } },
        at,
      );
    });
  }

  /** Ledgers the unknown-username failures not ledgered yet (before the store closes). */
  async flushFailures(): Promise<void> {
    const at = this.clock().toISOString();
    for (const aggregate of this.unknownUsernames.drain()) await this.ledgerUnknownUsernames(aggregate, at);
  }

  /** A new session for `record` in `tx`: the failure count is reset and the sign-in ledgered. */
  private async startSession(tx: WriteTx, record: OperatorRecord, attempt: Attempt, details: Record<string, unknown>): Promise<SignedIn> {
    const token = newToken('bho_');
    const expiresAt = new Date(attempt.now.getTime() + operatorAuthPolicy.absoluteLifetimeSeconds * 1000).toISOString();
    await tx.resetLogin(attempt.throttleKey);
    await tx.createOperatorSession({ id: randomUUID(), tokenHash: hashToken(token), operatorId: record.id, createdAt: attempt.at, expiresAt });
    await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_LOGIN', tenantId: null, details: { operator_id: record.id, ...details } }, attempt.at);
    return { token, expiresAt, operator: operatorView(record) };
  }

  private totpSecret(record: OperatorRecord): string {
    return open(this.deploymentKey, record.totpSecretSealed, sealPurpose.operatorTotp(record.id)).toString('utf8');
  }

  private lockedOut(lockedUntilMs: number, now: Date): ApiError {
    const retryAfter = Math.max(1, Math.ceil((lockedUntilMs - now.getTime()) / 1000));
    return new ApiError(
      429,
      'locked_out',
      `Too many failed sign-ins for this username; try again in ${retryAfter} seconds.`,
      { retry_after_seconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
}
