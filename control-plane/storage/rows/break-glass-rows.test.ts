import { describe, expect, it } from 'vitest';
import { newRequest } from '../../breakglass/break-glass-rules';
import { BREAK_GLASS_COLUMNS, BREAK_GLASS_MUTABLE_COLUMNS, breakGlassColumns, breakGlassFromRow } from './break-glass-rows';

describe('break-glass rows', () => {
  const record = {
    ...newRequest({
      id: '33333333-3333-4333-8333-333333333333',
      tenantId: '44444444-4444-4444-8444-444444444444',
      operator: { id: '11111111-1111-4111-8111-111111111111', username: 'oncall' },
      reason: 'incident',
      scope: ['telemetry:read'],
      durationMinutes: 60,
      requiredApprovals: 2,
      now: new Date('2026-11-22T10:00:00.000Z'),
    }),
    approvals: [{ approver: 'user:u1', actor: 'tenant:acme:user:ann', at: '2026-11-22T10:01:00.000Z', durationMinutes: 30, comment: null }],
  };

  it('round-trips a record through its columns', () => {
    const columns = breakGlassColumns(record);
    expect(Object.keys(columns)).toEqual([...BREAK_GLASS_COLUMNS]);
    expect(breakGlassFromRow(columns)).toEqual(record);
    expect(BREAK_GLASS_MUTABLE_COLUMNS.every((column) => column in columns)).toBe(true);
  });

  it('refuses a row it does not understand rather than guessing', () => {
    expect(() => breakGlassFromRow({ ...breakGlassColumns(record), state: 'granted' })).toThrow();
    expect(() => breakGlassFromRow({ ...breakGlassColumns(record), approvals: '[{"approver":1}]' })).toThrow();
  });
});
