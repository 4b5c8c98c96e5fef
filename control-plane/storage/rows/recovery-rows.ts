import { z } from 'zod';
import { RecoveryState } from '../../../contracts/tenants';
import type { RecoveryRecord } from '../recovery';
import { optionalText, text } from './columns';

/**
 * The row shape of tenant_recoveries, the same on both engines (one mapping, so they cannot drift).
 * Rows are parsed, not cast: a bad row fails loudly.
 */

/** The columns a state change writes. */
export const RECOVERY_MUTABLE_COLUMNS = ['state', 'ended_at', 'ended_by', 'end_reason'] as const;

/** Columns in insert order: the fixed ones, then the mutable ones. */
export const RECOVERY_COLUMNS = ['tenant_id', 'id', 'operator_id', 'operator_username', 'reason', 'created_at', 'available_at', ...RECOVERY_MUTABLE_COLUMNS] as const;

type RecoveryColumn = (typeof RECOVERY_COLUMNS)[number];

const Row = z.object({
  tenant_id: text,
  id: text,
  operator_id: text,
  operator_username: text,
  reason: text,
  state: RecoveryState,
  created_at: text,
  available_at: text,
  ended_at: optionalText,
  ended_by: optionalText,
  end_reason: optionalText,
});

export function recoveryFromRow(value: unknown): RecoveryRecord {
  const row = Row.parse(value);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    operatorId: row.operator_id,
    operatorUsername: row.operator_username,
    reason: row.reason,
    state: row.state,
    createdAt: row.created_at,
    availableAt: row.available_at,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
    endReason: row.end_reason,
  };
}

export function recoveryColumns(record: RecoveryRecord): Record<RecoveryColumn, string | null> {
  return {
    tenant_id: record.tenantId,
    id: record.id,
    operator_id: record.operatorId,
    operator_username: record.operatorUsername,
    reason: record.reason,
    created_at: record.createdAt,
    available_at: record.availableAt,
    state: record.state,
    ended_at: record.endedAt,
    ended_by: record.endedBy,
    end_reason: record.endReason,
  };
}
