import type pg from 'pg';
import type { LoginThrottleStore, NewOperator, NewSession, OperatorSessionStore, OperatorStore, OperatorWrites } from '../operators';
import { count } from '../rows/columns';
import { OPERATOR_COLUMNS, SESSION_COLUMNS, operatorColumns, operatorFromRow, selectOperatorsSql, sessionColumns, sessionFromRow, throttleFromRow } from '../rows/operator-rows';
import { firstRow, insertSql, UUID, valuesOf, type Queryable, type Row } from './tenant-context';

/** Operators, their sessions and the sign-in throttle in schema bh (provider tables: no tenant context). */
const insertOperator = insertSql('bh.operators', OPERATOR_COLUMNS);
const insertSession = insertSql('bh.operator_sessions', SESSION_COLUMNS);
const selectOperators = selectOperatorsSql('bh.');

async function createOperator(client: Queryable, operator: NewOperator): Promise<void> {
  await client.query<Row>(insertOperator, valuesOf(operatorColumns(operator), OPERATOR_COLUMNS));
}

async function createSession(client: Queryable, session: NewSession): Promise<void> {
  await client.query<Row>(insertSession, valuesOf(sessionColumns(session), SESSION_COLUMNS));
}

async function claimTotpStep(client: Queryable, id: string, step: number): Promise<boolean> {
  const result = await client.query<Row>('UPDATE bh.operators SET last_totp_step = $2 WHERE id = $1 AND (last_totp_step IS NULL OR last_totp_step < $2)', [id, step]);
  return (result.rowCount ?? 0) === 1;
}

async function recordLoginFailure(client: Queryable, key: string, at: string): Promise<number> {
  const row = (
    await client.query<Row>(
      `INSERT INTO bh.login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET failures = bh.login_throttle.failures + 1, last_failure_at = excluded.last_failure_at
       RETURNING failures`,
      [key, at],
    )
  ).rows[0];
  return count(row?.failures ?? 1);
}

async function lockLogin(client: Queryable, key: string, until: string): Promise<void> {
  await client.query<Row>('UPDATE bh.login_throttle SET locked_until = $2 WHERE key = $1', [key, until]);
}

async function resetLogin(client: Queryable, key: string): Promise<void> {
  await client.query<Row>('DELETE FROM bh.login_throttle WHERE key = $1', [key]);
}

export function postgresOperatorStores(pool: pg.Pool): { operators: OperatorStore; operatorSessions: OperatorSessionStore; loginThrottle: LoginThrottleStore } {
  const operators: OperatorStore = {
    count: async () => count((await pool.query<Row>('SELECT COUNT(*) AS n FROM bh.operators')).rows[0]?.n ?? 0),
    create: (operator) => createOperator(pool, operator),
    findByUsername: async (username) => {
      const row = await firstRow(pool, `${selectOperators} WHERE o.username = $1`, [username]);
      return row ? operatorFromRow(row) : null;
    },
    findById: async (id) => {
      if (!UUID.test(id)) return null;
      const row = await firstRow(pool, `${selectOperators} WHERE o.id = $1`, [id]);
      return row ? operatorFromRow(row) : null;
    },
    list: async () => (await pool.query<Row>(`${selectOperators} ORDER BY o.username`)).rows.map(operatorFromRow),
    claimTotpStep: (id, step) => claimTotpStep(pool, id, step),
  };
  const operatorSessions: OperatorSessionStore = {
    create: (session) => createSession(pool, session),
    findByTokenHash: async (tokenHash) => {
      const row = await firstRow(pool, 'SELECT * FROM bh.operator_sessions WHERE token_hash = $1', [tokenHash]);
      return row ? sessionFromRow(row) : null;
    },
    touch: async (id, at) => {
      await pool.query<Row>('UPDATE bh.operator_sessions SET last_seen_at = $2 WHERE id = $1', [id, at]);
    },
    revoke: async (id, at) => {
      await pool.query<Row>('UPDATE bh.operator_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1', [id, at]);
    },
  };
  const loginThrottle: LoginThrottleStore = {
    get: async (key) => throttleFromRow(await firstRow(pool, 'SELECT failures, locked_until FROM bh.login_throttle WHERE key = $1', [key])),
    recordFailure: (key, at) => recordLoginFailure(pool, key, at),
    lock: (key, until) => lockLogin(pool, key, until),
    reset: (key) => resetLogin(pool, key),
  };
  return { operators, operatorSessions, loginThrottle };
}

/** Writes inside the caller's transaction. */
export function postgresOperatorWrites(client: pg.PoolClient): OperatorWrites {
  return {
    createOperator: (operator) => createOperator(client, operator),
    deleteOperator: async (id) => ((await client.query<Row>('DELETE FROM bh.operators WHERE id = $1', [id])).rowCount ?? 0) === 1,
    createOperatorSession: (session) => createSession(client, session),
    revokeOperatorSessions: async (operatorId, at, exceptSessionId) => {
      await client.query<Row>('UPDATE bh.operator_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE operator_id = $1 AND id IS DISTINCT FROM $3::uuid', [operatorId, at, exceptSessionId ?? null]);
    },
    claimTotpStep: (operatorId, step) => claimTotpStep(client, operatorId, step),
    confirmTotp: async (operatorId, at) => ((await client.query<Row>('UPDATE bh.operators SET totp_confirmed_at = $2 WHERE id = $1 AND totp_confirmed_at IS NULL', [operatorId, at])).rowCount ?? 0) === 1,
    resetTotp: async (operatorId, totpSecretSealed) => {
      await client.query<Row>('UPDATE bh.operators SET totp_secret_sealed = $2, totp_confirmed_at = NULL, last_totp_step = NULL, totp_replacement_sealed = NULL WHERE id = $1', [operatorId, totpSecretSealed]);
    },
    replaceRecoveryCodes: async (operatorId, codeHashes, at) => {
      await client.query<Row>('DELETE FROM bh.operator_recovery_codes WHERE operator_id = $1', [operatorId]);
      if (codeHashes.length > 0) {
        await client.query<Row>('INSERT INTO bh.operator_recovery_codes (operator_id, code_hash, created_at) SELECT $1, hash, $3 FROM unnest($2::text[]) AS hash', [operatorId, codeHashes, at]);
      }
    },
    useRecoveryCode: async (operatorId, codeHash) => ((await client.query<Row>('DELETE FROM bh.operator_recovery_codes WHERE operator_id = $1 AND code_hash = $2', [operatorId, codeHash])).rowCount ?? 0) === 1,
    setTotpReplacement: async (operatorId, totpSecretSealed) => {
      await client.query<Row>('UPDATE bh.operators SET totp_replacement_sealed = $2 WHERE id = $1', [operatorId, totpSecretSealed]);
    },
    promoteTotpReplacement: async (operatorId, step) =>
      (
        await client.query<Row>(
          'UPDATE bh.operators SET totp_secret_sealed = totp_replacement_sealed, totp_replacement_sealed = NULL, last_totp_step = GREATEST(COALESCE(last_totp_step, 0), $2) WHERE id = $1 AND totp_replacement_sealed IS NOT NULL',
          [operatorId, step],
        )
      ).rowCount === 1,
    setOperatorPassword: async (operatorId, passwordHash) => {
      await client.query<Row>('UPDATE bh.operators SET password_hash = $2 WHERE id = $1', [operatorId, passwordHash]);
    },
    recordLoginFailure: (key, at) => recordLoginFailure(client, key, at),
    lockLogin: (key, until) => lockLogin(client, key, until),
    resetLogin: (key) => resetLogin(client, key),
  };
}
