import { BREAK_GLASS_REQUEST_TTL_HOURS, type BreakGlassScope } from '../../contracts/break-glass';
import { ApiError } from '../errors';
import type { BreakGlassApproval, BreakGlassRecord } from '../storage/types';

/**
 * The break-glass state machine, as pure functions of a record and the time (no storage, no
 * clock of its own): every transition either answers the new record or throws the ApiError the
 * route answers. Storage and ledgers are the service's business (break-glass-service.ts).
 *
 *   pending ──approve (enough approvers)──▶ approved ──activate──▶ active ──revoke──▶ revoked
 *      │ deny ▶ denied                        │ revoke ▶ revoked      │ time ▶ expired
 *      │ time (12 h) ▶ expired                │ time (12 h) ▶ expired
 *   tenant suspended or deleted: pending, approved, active ▶ revoked
 */

export const REQUEST_TTL_MS = BREAK_GLASS_REQUEST_TTL_HOURS * 3600 * 1000;
/** The actor of what time does (expiry). */
export const SYSTEM_ACTOR = 'system:break-glass';

export interface NewRequestInput {
  id: string;
  tenantId: string;
  operator: { id: string; username: string };
  reason: string;
  scope: BreakGlassScope[];
  durationMinutes: number;
  requiredApprovals: number;
  now: Date;
}

export function newRequest(input: NewRequestInput): BreakGlassRecord {
  return {
    id: input.id,
    tenantId: input.tenantId,
    operatorId: input.operator.id,
    operatorUsername: input.operator.username,
    reason: input.reason,
    scope: [...input.scope],
    requestedMinutes: input.durationMinutes,
    durationMinutes: input.durationMinutes,
    requiredApprovals: input.requiredApprovals,
    state: 'pending',
    approvals: [],
    createdAt: input.now.toISOString(),
    requestExpiresAt: new Date(input.now.getTime() + REQUEST_TTL_MS).toISOString(),
    decidedAt: null,
    decidedBy: null,
    decisionNote: null,
    activatedAt: null,
    grantExpiresAt: null,
    grantHash: null,
    endedAt: null,
    endedBy: null,
    endReason: null,
  };
}

/** Which deadline has passed at `now`: the request's (pending or approved, never activated), the grant's (active), or none. */
export function expiryDue(record: BreakGlassRecord, now: Date): 'request' | 'grant' | null {
  const at = now.getTime();
  if ((record.state === 'pending' || record.state === 'approved') && Date.parse(record.requestExpiresAt) <= at) return 'request';
  if (record.state === 'active' && record.grantExpiresAt !== null && Date.parse(record.grantExpiresAt) <= at) return 'grant';
  return null;
}

export function expire(record: BreakGlassRecord, phase: 'request' | 'grant', now: Date): BreakGlassRecord {
  return { ...record, state: 'expired', endedAt: now.toISOString(), endedBy: SYSTEM_ACTOR, endReason: phase === 'request' ? 'request_expired' : 'grant_expired' };
}

function refuseExpired(record: BreakGlassRecord): void {
  if (record.state === 'expired') {
    throw new ApiError(409, 'break_glass_expired', `The break-glass request expired at ${record.endedAt ?? record.requestExpiresAt}; the operator must open a new one.`, {
      state: record.state,
      request_id: record.id,
    });
  }
}

export interface ApprovalInput {
  approval: BreakGlassApproval;
  /** The operator who minted the approving tenant credential, when an operator did (tenant-admin tokens). */
  mintedByOperator: string | null;
}

/** One tenant admin's approval; the request is approved once `requiredApprovals` distinct admins approved it. */
export function approve(record: BreakGlassRecord, input: ApprovalInput): BreakGlassRecord {
  refuseExpired(record);
  if (record.state !== 'pending') {
    throw new ApiError(409, 'break_glass_not_pending', `The request is ${record.state}; only a pending request can be approved.`, { state: record.state, request_id: record.id });
  }
  // The operator who asked can never be the one who says yes, not even through a tenant-admin token it minted.
  if (input.mintedByOperator !== null && input.mintedByOperator === record.operatorId) {
    throw new ApiError(403, 'break_glass_requester_cannot_approve', 'The operator who opened the request cannot approve it, not through a token it minted either.', { request_id: record.id });
  }
  const { approval } = input;
  if (record.approvals.some((earlier) => earlier.approver === approval.approver)) {
    throw new ApiError(409, 'break_glass_duplicate_approver', 'You approved this request already; it needs another tenant admin.', {
      request_id: record.id,
      approvals: record.approvals.length,
      required_approvals: record.requiredApprovals,
    });
  }
  // Bounded by what the operator asked for; across approvers, the shortest allowed wins.
  if (approval.durationMinutes !== null && approval.durationMinutes > record.requestedMinutes) {
    throw new ApiError(400, 'invalid_request', `An approval can shorten the grant, not lengthen it: at most ${record.requestedMinutes} minutes.`, {
      issues: [{ path: 'duration_minutes', message: `at most ${record.requestedMinutes}` }],
    });
  }
  const approvals = [...record.approvals, approval];
  const durationMinutes = Math.min(record.durationMinutes, approval.durationMinutes ?? record.durationMinutes);
  const done = approvals.length >= record.requiredApprovals;
  return { ...record, approvals, durationMinutes, ...(done ? { state: 'approved' as const, decidedAt: approval.at, decidedBy: approval.actor } : {}) };
}

export function deny(record: BreakGlassRecord, actor: string, note: string | null, now: Date): BreakGlassRecord {
  refuseExpired(record);
  if (record.state !== 'pending') {
    throw new ApiError(409, 'break_glass_not_pending', `The request is ${record.state}; only a pending request can be denied (revoke ends an approved or active one).`, {
      state: record.state,
      request_id: record.id,
    });
  }
  return { ...record, state: 'denied', decidedAt: now.toISOString(), decidedBy: actor, decisionNote: note };
}

/** The requesting operator turns an approved request into a grant, once. */
export function activate(record: BreakGlassRecord, operatorId: string, grantHash: string, now: Date): BreakGlassRecord {
  if (record.operatorId !== operatorId) {
    throw new ApiError(403, 'break_glass_not_requester', 'Only the operator who opened the request can activate it.', { request_id: record.id });
  }
  refuseExpired(record);
  if (record.state === 'active') {
    throw new ApiError(409, 'break_glass_already_activated', 'The grant was activated already; its token is shown once. Open a new request for another.', { request_id: record.id });
  }
  if (record.state !== 'approved') {
    throw new ApiError(409, 'break_glass_not_approved', `The request is ${record.state}; only an approved request can be activated.`, { state: record.state, request_id: record.id });
  }
  return {
    ...record,
    state: 'active',
    activatedAt: now.toISOString(),
    grantExpiresAt: new Date(now.getTime() + record.durationMinutes * 60_000).toISOString(),
    grantHash,
  };
}

/** The tenant ends an approved request or an active grant at once. */
export function revoke(record: BreakGlassRecord, actor: string, reason: string | null, now: Date): BreakGlassRecord {
  if (record.state !== 'active' && record.state !== 'approved') {
    throw new ApiError(409, 'break_glass_not_active', `The request is ${record.state}; only an approved request or an active grant can be revoked.`, { state: record.state, request_id: record.id });
  }
  return { ...record, state: 'revoked', endedAt: now.toISOString(), endedBy: actor, endReason: reason ?? 'revoked by the tenant' };
}

/** A suspended or deleted tenant ends every request that is not over. */
export function endForTenant(record: BreakGlassRecord, cause: 'tenant_suspended' | 'tenant_deleted', actor: string, now: Date): BreakGlassRecord {
  return { ...record, state: 'revoked', endedAt: now.toISOString(), endedBy: actor, endReason: cause };
}
