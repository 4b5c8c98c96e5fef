import type Database from 'better-sqlite3';
import type { LoginThrottleStore, NewOperator, NewSession, OperatorSessionStore, OperatorStore, OperatorWrites } from '../operators';
import { OPERATOR_COLUMNS, SESSION_COLUMNS, operatorColumns, operatorFromRow, selectOperatorsSql, sessionColumns, sessionFromRow, throttleFromRow } from '../rows/operator-rows';
import { done, insertSql } from './connection';

/** Operators, their sessions and the sign-in throttle, in the control store. */
const insertOperator = insertSql('operators', OPERATOR_COLUMNS);
const insertSession = insertSql('operator_sessions', SESSION_COLUMNS);
const selectOperators = selectOperatorsSql('');

function createOperator(db: Database.Database, operator: NewOperator): Promise<void> {
  db.prepare(insertOperator).run(operatorColumns(operator));
  return done;
}

function createSession(db: Database.Database, session: NewSession): Promise<void> {
  db.prepare(insertSession).run(sessionColumns(session));
  return done;
}

function claimTotpStep(db: Database.Database, id: string, step: number): Promise<boolean> {
  const result = db.prepare('UPDATE operators SET last_totp_step = ? WHERE id = ? AND (last_totp_step IS NULL OR last_totp_step < ?)').run(step, id, step);
  return Promise.resolve(result.changes === 1);
}

export function sqliteOperatorStores(db: Database.Database): { operators: OperatorStore; operatorSessions: OperatorSessionStore; loginThrottle: LoginThrottleStore } {
  const operators: OperatorStore = {
    count: () => Promise.resolve(db.prepare('SELECT COUNT(*) FROM operators').pluck().get() as number),
    create: (operator) => createOperator(db, operator),
    findByUsername(username) {
      const row = db.prepare(`${selectOperators} WHERE o.username = ?`).get(username);
      return Promise.resolve(row === undefined ? null : operatorFromRow(row));
    },
    findById(id) {
      const row = db.prepare(`${selectOperators} WHERE o.id = ?`).get(id);
      return Promise.resolve(row === undefined ? null : operatorFromRow(row));
    },
    list: () => Promise.resolve(db.prepare(`${selectOperators} ORDER BY o.username`).all().map(operatorFromRow)),
    claimTotpStep: (id, step) => claimTotpStep(db, id, step),
  };
  const operatorSessions: OperatorSessionStore = {
    create: (session) => createSession(db, session),
    findByTokenHash(tokenHash) {
      const row = db.prepare('SELECT id, operator_id, created_at, last_seen_at, expires_at, revoked_at FROM operator_sessions WHERE token_hash = ?').get(tokenHash);
      return Promise.resolve(row === undefined ? null : sessionFromRow(row));
    },
    touch(id, at) {
      db.prepare('UPDATE operator_sessions SET last_seen_at = ? WHERE id = ?').run(at, id);
      return done;
    },
    revoke(id, at) {
      db.prepare('UPDATE operator_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
      return done;
    },
  };
  const loginThrottle: LoginThrottleStore = {
    get: (key) => Promise.resolve(throttleFromRow(db.prepare('SELECT failures, locked_until FROM login_throttle WHERE key = ?').get(key))),
    recordFailure(key, at) {
      const failures = db
        .prepare(
          `INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?)
           ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at
           RETURNING failures`,
        )
        .pluck()
        .get(key, at) as number;
      return Promise.resolve(failures);
    },
    lock(key, until) {
      db.prepare('UPDATE login_throttle SET locked_until = ? WHERE key = ?').run(until, key);
      return done;
    },
    reset(key) {
      db.prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
      return done;
    },
  };
  return { operators, operatorSessions, loginThrottle };
}

/** Writes inside the caller's transaction, on the control store. */
export function sqliteOperatorWrites(db: Database.Database): OperatorWrites {
  const { loginThrottle } = sqliteOperatorStores(db);
  return {
    createOperator: (operator) => createOperator(db, operator),
    deleteOperator: (id) => Promise.resolve(db.prepare('DELETE FROM operators WHERE id = ?').run(id).changes === 1),
    createOperatorSession: (session) => createSession(db, session),
    revokeOperatorSessions(operatorId, at, exceptSessionId) {
      db.prepare('UPDATE operator_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE operator_id = ? AND id IS NOT ?').run(at, operatorId, exceptSessionId ?? null);
      return done;
    },
    claimTotpStep: (operatorId, step) => claimTotpStep(db, operatorId, step),
    confirmTotp: (operatorId, at) => Promise.resolve(db.prepare('UPDATE operators SET totp_confirmed_at = ? WHERE id = ? AND totp_confirmed_at IS NULL').run(at, operatorId).changes === 1),
    resetTotp(operatorId, totpSecretSealed) {
      db.prepare('UPDATE operators SET totp_secret_sealed = ?, totp_confirmed_at = NULL, last_totp_step = NULL, totp_replacement_sealed = NULL WHERE id = ?').run(totpSecretSealed, operatorId);
      return done;
    },
    replaceRecoveryCodes(operatorId, codeHashes, at) {
      db.prepare('DELETE FROM operator_recovery_codes WHERE operator_id = ?').run(operatorId);
      const insert = db.prepare('INSERT INTO operator_recovery_codes (operator_id, code_hash, created_at) VALUES (?, ?, ?)');
      for (const hash of codeHashes) insert.run(operatorId, hash, at);
      return done;
    },
    useRecoveryCode: (operatorId, codeHash) => Promise.resolve(db.prepare('DELETE FROM operator_recovery_codes WHERE operator_id = ? AND code_hash = ?').run(operatorId, codeHash).changes === 1),
    setTotpReplacement(operatorId, totpSecretSealed) {
      db.prepare('UPDATE operators SET totp_replacement_sealed = ? WHERE id = ?').run(totpSecretSealed, operatorId);
      return done;
    },
    promoteTotpReplacement: (operatorId, step) =>
      Promise.resolve(
        db
          .prepare('UPDATE operators SET totp_secret_sealed = totp_replacement_sealed, totp_replacement_sealed = NULL, last_totp_step = MAX(COALESCE(last_totp_step, 0), ?) WHERE id = ? AND totp_replacement_sealed IS NOT NULL')
          .run(step, operatorId).changes === 1,
      ),
    setOperatorPassword(operatorId, passwordHash) {
      db.prepare('UPDATE operators SET password_hash = ? WHERE id = ?').run(passwordHash, operatorId);
      return done;
    },
    recordLoginFailure: (key, at) => loginThrottle.recordFailure(key, at),
    lockLogin: (key, until) => loginThrottle.lock(key, until),
    resetLogin: (key) => loginThrottle.reset(key),
  };
}
