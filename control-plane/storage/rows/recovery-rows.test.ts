import { describe, expect, it } from 'vitest';
import type { RecoveryRecord } from '../recovery';
import { RECOVERY_COLUMNS, RECOVERY_MUTABLE_COLUMNS, recoveryColumns, recoveryFromRow } from './recovery-rows';

describe('recovery rows', () => {
  const record: RecoveryRecord = {
    id: '33333333-3333-4333-8333-333333333333',
    tenantId: '44444444-4444-4444-8444-444444444444',
    operatorId: '11111111-1111-4111-8111-111111111111',
    operatorUsername: 'oncall',
    reason: 'lost every credential',
    state: 'waiting',
    createdAt: '2030-01-01T00:00:00.000Z',
    availableAt: '2030-01-02T00:00:00.000Z',
    endedAt: null,
    endedBy: null,
    endReason: null,
  };

  it('round-trips a request through its columns; a state change writes only the mutable ones', () => {
    const columns = recoveryColumns(record);
    expect(Object.keys(columns)).toEqual([...RECOVERY_COLUMNS]);
    expect(recoveryFromRow(columns)).toEqual(record);
    expect(RECOVERY_MUTABLE_COLUMNS).not.toContain('reason');
  });

  it('refuses a state it does not know', () => {
    expect(() => recoveryFromRow({ ...recoveryColumns(record), state: 'approved' })).toThrow();
  });
});
