import { describe, expect, it } from 'vitest';
import { OPERATOR_COLUMNS, SESSION_COLUMNS, operatorColumns, operatorFromRow, sessionColumns, sessionFromRow, throttleFromRow } from './operator-rows';

describe('operator rows', () => {
  const operator = { id: '11111111-1111-4111-8111-111111111111', username: 'oncall', passwordHash: 'scrypt$x', totpSecretSealed: Buffer.from('sealed'), roles: ['provider_admin' as const], createdAt: '2030-01-01T00:00:00.000Z', totpConfirmedAt: null };

  it('round-trips an operator through its columns; the TOTP step reads alike from both engines', () => {
    const columns = operatorColumns(operator);
    expect(Object.keys(columns)).toEqual([...OPERATOR_COLUMNS]);
    expect(operatorFromRow({ ...columns, last_totp_step: null, recovery_codes_left: 0, totp_replacement_sealed: null })).toEqual({ ...operator, lastTotpStep: null, recoveryCodesLeft: 0, totpReplacementSealed: null });
    // SQLite gives the bigint (and COUNT) as a number, PostgreSQL as a string.
    expect(operatorFromRow({ ...columns, last_totp_step: 58_000_001, recovery_codes_left: 10, totp_replacement_sealed: Buffer.from('new') })).toMatchObject({ lastTotpStep: 58_000_001, recoveryCodesLeft: 10, totpReplacementSealed: Buffer.from('new') });
    expect(operatorFromRow({ ...columns, last_totp_step: '58000001', recovery_codes_left: '9', totp_replacement_sealed: null })).toMatchObject({ lastTotpStep: 58_000_001, recoveryCodesLeft: 9 });
    const confirmed = { ...operator, totpConfirmedAt: '2030-01-01T00:01:00.000Z' };
    expect(operatorFromRow({ ...operatorColumns(confirmed), last_totp_step: null, recovery_codes_left: 0, totp_replacement_sealed: null }).totpConfirmedAt).toBe(confirmed.totpConfirmedAt);
  });

  it('refuses an operator row with a role that does not exist', () => {
    expect(() => operatorFromRow({ ...operatorColumns(operator), roles: '["root"]', last_totp_step: null, recovery_codes_left: 0, totp_replacement_sealed: null })).toThrow();
  });

  it('starts a session last seen when created, and reads it back', () => {
    const session = { id: 's1', tokenHash: 'hash', operatorId: operator.id, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T08:00:00.000Z' };
    const columns = sessionColumns(session);
    expect(Object.keys(columns)).toEqual([...SESSION_COLUMNS]);
    expect(sessionFromRow({ ...columns, revoked_at: null })).toEqual({ id: 's1', operatorId: operator.id, createdAt: session.createdAt, lastSeenAt: session.createdAt, expiresAt: session.expiresAt, revokedAt: null });
  });

  it('reads no throttle row as no failures and no lock', () => {
    expect(throttleFromRow(undefined)).toEqual({ failures: 0, lockedUntil: null });
    expect(throttleFromRow({ failures: 3, locked_until: '2030-01-01T00:05:00.000Z' })).toEqual({ failures: 3, lockedUntil: '2030-01-01T00:05:00.000Z' });
  });
});
