import type { ProviderRole } from '../../contracts/operators';

/** Operators of the provider plane: their accounts, sign-in sessions and the sign-in throttle. */
export interface NewOperator {
  id: string;
  username: string;
  passwordHash: string;
  /** The TOTP secret, sealed with the deployment key. */
  totpSecretSealed: Buffer;
  roles: ProviderRole[];
  createdAt: string;
  /**
   * When the operator confirmed its authenticator with a first code. Null while enrollment is
   * pending: such an operator cannot sign in, only enroll (password-checked).
   */
  totpConfirmedAt: string | null;
}

export interface OperatorRecord extends NewOperator {
  /** The last TOTP time step accepted, so a code is accepted once. */
  lastTotpStep: number | null;
  /** Unused recovery codes left (only their hashes are stored). */
  recoveryCodesLeft: number;
  /** A new authenticator's secret (sealed) the enrolled operator is setting up, until a first code confirms it. */
  totpReplacementSealed: Buffer | null;
}

export interface OperatorStore {
  count(): Promise<number>;
  create(operator: NewOperator): Promise<void>;
  findByUsername(username: string): Promise<OperatorRecord | null>;
  findById(id: string): Promise<OperatorRecord | null>;
  list(): Promise<OperatorRecord[]>;
  /**
   * Records `step` as the operator's last accepted TOTP step only if it is later than the one
   * stored (atomic compare-and-set): false means the code was already used (replay).
   */
  claimTotpStep(id: string, step: number): Promise<boolean>;
}

export interface SessionRecord {
  id: string;
  operatorId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface NewSession {
  id: string;
  tokenHash: string;
  operatorId: string;
  createdAt: string;
  expiresAt: string;
}

export interface OperatorSessionStore {
  create(session: NewSession): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  touch(id: string, at: string): Promise<void>;
  revoke(id: string, at: string): Promise<void>;
}

/** Consecutive failed sign-ins per username, for the growing lock-out. */
export interface LoginThrottleRecord {
  failures: number;
  lockedUntil: string | null;
}

export interface LoginThrottleStore {
  get(key: string): Promise<LoginThrottleRecord>;
  /** Counts one more consecutive failure and returns the new count. */
  recordFailure(key: string, at: string): Promise<number>;
  lock(key: string, until: string): Promise<void>;
  reset(key: string): Promise<void>;
}

/** The operators' part of a write transaction. */
export interface OperatorWrites {
  createOperator(operator: NewOperator): Promise<void>;
  deleteOperator(id: string): Promise<boolean>;
  createOperatorSession(session: NewSession): Promise<void>;
  /** Revokes the operator's live sessions, all of them or all but `exceptSessionId`. */
  revokeOperatorSessions(operatorId: string, at: string, exceptSessionId?: string): Promise<void>;
  /** See OperatorStore.claimTotpStep. */
  claimTotpStep(operatorId: string, step: number): Promise<boolean>;
  /** Ends a pending enrollment: false if it was not pending (confirmed already, or no such operator). */
  confirmTotp(operatorId: string, at: string): Promise<boolean>;
  /** Back to a pending enrollment with a new sealed secret; the last accepted step is forgotten. */
  resetTotp(operatorId: string, totpSecretSealed: Buffer): Promise<void>;
  /** Replaces all of the operator's recovery codes with these hashes (none: the operator has none). */
  replaceRecoveryCodes(operatorId: string, codeHashes: readonly string[], at: string): Promise<void>;
  /** Uses up one recovery code: true only for an unused code of this operator (atomic, single use). */
  useRecoveryCode(operatorId: string, codeHash: string): Promise<boolean>;
  setOperatorPassword(operatorId: string, passwordHash: string): Promise<void>;
  /** Keeps (or, with null, drops) the secret of a new authenticator being set up. */
  setTotpReplacement(operatorId: string, totpSecretSealed: Buffer | null): Promise<void>;
  /**
   * The new authenticator replaces the old (its first code at `step` is remembered as used): false
   * when no replacement was being set up.
   */
  promoteTotpReplacement(operatorId: string, step: number): Promise<boolean>;
  recordLoginFailure(key: string, at: string): Promise<number>;
  lockLogin(key: string, until: string): Promise<void>;
  resetLogin(key: string): Promise<void>;
}
