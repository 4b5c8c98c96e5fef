import { z } from 'zod';
import { BreakGlassState } from '../../../contracts/break-glass';
import type { BreakGlassRecord, BreakGlassSettings } from '../break-glass';
import { integer, optionalText, text } from './columns';

/**
 * The row shape of break_glass_requests, the same on both engines: one mapping, so SQLite and
 * PostgreSQL cannot drift apart. Rows are parsed (not cast): a bad row fails loudly.
 */

/** The columns a state change writes (everything that is not fixed when the request is opened). */
export const BREAK_GLASS_MUTABLE_COLUMNS = [
  'duration_minutes',
  'state',
  'approvals',
  'decided_at',
  'decided_by',
  'decision_note',
  'activated_at',
  'grant_expires_at',
  'grant_hash',
  'ended_at',
  'ended_by',
  'end_reason',
] as const;

/** Columns in insert order, as breakGlassColumns builds them: the fixed ones, then the mutable ones. */
export const BREAK_GLASS_COLUMNS = [
  'tenant_id',
  'id',
  'operator_id',
  'operator_username',
  'reason',
  'scope',
  'requested_minutes',
  'required_approvals',
  'created_at',
  'request_expires_at',
  ...BREAK_GLASS_MUTABLE_COLUMNS,
] as const;

const Approval = z.strictObject({
  approver: z.string(),
  actor: z.string(),
  at: z.string(),
  durationMinutes: z.number().int().nullable(),
  comment: z.string().nullable(),
});

const Row = z.object({
  tenant_id: text,
  id: text,
  operator_id: text,
  operator_username: text,
  reason: text,
  scope: text,
  requested_minutes: integer,
  duration_minutes: integer,
  required_approvals: integer,
  state: BreakGlassState,
  approvals: text,
  created_at: text,
  request_expires_at: text,
  decided_at: optionalText,
  decided_by: optionalText,
  decision_note: optionalText,
  activated_at: optionalText,
  grant_expires_at: optionalText,
  grant_hash: optionalText,
  ended_at: optionalText,
  ended_by: optionalText,
  end_reason: optionalText,
});

export function breakGlassFromRow(value: unknown): BreakGlassRecord {
  const row = Row.parse(value);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    operatorId: row.operator_id,
    operatorUsername: row.operator_username,
    reason: row.reason,
    scope: z.array(z.string()).parse(JSON.parse(row.scope)),
    requestedMinutes: row.requested_minutes,
    durationMinutes: row.duration_minutes,
    requiredApprovals: row.required_approvals,
    state: row.state,
    approvals: z.array(Approval).parse(JSON.parse(row.approvals)),
    createdAt: row.created_at,
    requestExpiresAt: row.request_expires_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decisionNote: row.decision_note,
    activatedAt: row.activated_at,
    grantExpiresAt: row.grant_expires_at,
    grantHash: row.grant_hash,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
    endReason: row.end_reason,
  };
}

/** The record as column values, by column name. */
export function breakGlassColumns(record: BreakGlassRecord): Record<(typeof BREAK_GLASS_COLUMNS)[number], string | number | null> {
  return {
    tenant_id: record.tenantId,
    id: record.id,
    operator_id: record.operatorId,
    operator_username: record.operatorUsername,
    reason: record.reason,
    scope: JSON.stringify(record.scope),
    requested_minutes: record.requestedMinutes,
    required_approvals: record.requiredApprovals,
    created_at: record.createdAt,
    request_expires_at: record.requestExpiresAt,
    duration_minutes: record.durationMinutes,
    state: record.state,
    approvals: JSON.stringify(record.approvals),
    decided_at: record.decidedAt,
    decided_by: record.decidedBy,
    decision_note: record.decisionNote,
    activated_at: record.activatedAt,
    grant_expires_at: record.grantExpiresAt,
    grant_hash: record.grantHash,
    ended_at: record.endedAt,
    ended_by: record.endedBy,
    end_reason: record.endReason,
  };
}

/** States in which a request is not over: the ones a tenant's suspension or deletion ends. */
export const OPEN_BREAK_GLASS_STATES = ['pending', 'approved', 'active'] as const;

const SettingsRow = z.object({ required_approvals: integer, updated_at: text });

/** A break_glass_settings row. */
export function breakGlassSettingsFromRow(value: unknown): BreakGlassSettings {
  const row = SettingsRow.parse(value);
  return { requiredApprovals: row.required_approvals, updatedAt: row.updated_at };
}
