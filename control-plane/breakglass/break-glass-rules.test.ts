import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import type { BreakGlassApproval, BreakGlassRecord } from '../storage/types';
import { REQUEST_TTL_MS, activate, approve, deny, endForTenant, expire, expiryDue, newRequest, revoke } from './break-glass-rules';

const OPERATOR = '11111111-1111-4111-8111-111111111111';
const OTHER_OPERATOR = '22222222-2222-4222-8222-222222222222';
const T0 = new Date('2026-11-22T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

function request(overrides: Partial<Parameters<typeof newRequest>[0]> = {}): BreakGlassRecord {
  return newRequest({
    id: '33333333-3333-4333-8333-333333333333',
    tenantId: '44444444-4444-4444-8444-444444444444',
    operator: { id: OPERATOR, username: 'oncall' },
    reason: 'incident 42',
    scope: ['telemetry:read'],
    durationMinutes: 60,
    requiredApprovals: 1,
    now: T0,
    ...overrides,
  });
}

function approval(approver: string, durationMinutes: number | null = null): BreakGlassApproval {
  return { approver, actor: `tenant:acme:${approver}`, at: T0.toISOString(), durationMinutes, comment: null };
}

/** The code of the ApiError `fn` throws (fails the test if it throws anything else, or nothing). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return `${error.statusCode} ${error.code}`;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('break-glass rules', () => {
  it('opens pending, expiring 12 hours later', () => {
    const record = request();
    expect(record).toMatchObject({ state: 'pending', approvals: [], durationMinutes: 60, requestedMinutes: 60 });
    expect(Date.parse(record.requestExpiresAt) - T0.getTime()).toBe(12 * 3600 * 1000);
    expect(expiryDue(record, later(REQUEST_TTL_MS - 1))).toBeNull();
    expect(expiryDue(record, later(REQUEST_TTL_MS))).toBe('request');
  });

  it('approves with one approver, shortening the grant; never lengthening it', () => {
    expect(codeOf(() => approve(request(), { approval: approval('user:a', 61), mintedByOperator: null }))).toBe('400 invalid_request');
    const approved = approve(request(), { approval: approval('user:a', 15), mintedByOperator: null });
    expect(approved).toMatchObject({ state: 'approved', durationMinutes: 15, requestedMinutes: 60, decidedBy: 'tenant:acme:user:a' });
  });

  it('needs two distinct approvers when the tenant requires two; the same one twice is refused', () => {
    const first = approve(request({ requiredApprovals: 2 }), { approval: approval('user:a', 30), mintedByOperator: null });
    expect(first).toMatchObject({ state: 'pending', durationMinutes: 30 });
    expect(codeOf(() => approve(first, { approval: approval('user:a'), mintedByOperator: null }))).toBe('409 break_glass_duplicate_approver');
    const second = approve(first, { approval: approval('admin-token:b', 45), mintedByOperator: OTHER_OPERATOR });
    // The shortest duration any approver allowed wins.
    expect(second).toMatchObject({ state: 'approved', durationMinutes: 30 });
    expect(second.approvals.map((item) => item.approver)).toEqual(['user:a', 'admin-token:b']);
  });

  it('the requesting operator can never approve, not through a tenant-admin token it minted', () => {
    expect(codeOf(() => approve(request(), { approval: approval('admin-token:x'), mintedByOperator: OPERATOR }))).toBe('403 break_glass_requester_cannot_approve');
  });

  it('refuses deciding an expired request, and deciding twice', () => {
    const expired = expire(request(), 'request', later(REQUEST_TTL_MS));
    expect(expired).toMatchObject({ state: 'expired', endReason: 'request_expired' });
    expect(codeOf(() => approve(expired, { approval: approval('user:a'), mintedByOperator: null }))).toBe('409 break_glass_expired');
    expect(codeOf(() => deny(expired, 'tenant:acme:user:a', null, T0))).toBe('409 break_glass_expired');
    const denied = deny(request(), 'tenant:acme:user:a', 'not now', T0);
    expect(denied).toMatchObject({ state: 'denied', decisionNote: 'not now' });
    expect(codeOf(() => approve(denied, { approval: approval('user:b'), mintedByOperator: null }))).toBe('409 break_glass_not_pending');
  });

  it('activates an approved request once, for its requester only; the grant runs for the approved duration', () => {
    const approved = approve(request(), { approval: approval('user:a', 20), mintedByOperator: null });
    expect(codeOf(() => activate(approved, OTHER_OPERATOR, 'hash', T0))).toBe('403 break_glass_not_requester');
    const active = activate(approved, OPERATOR, 'hash', T0);
    expect(active).toMatchObject({ state: 'active', grantHash: 'hash', grantExpiresAt: later(20 * 60_000).toISOString() });
    expect(codeOf(() => activate(active, OPERATOR, 'hash2', T0))).toBe('409 break_glass_already_activated');
    expect(codeOf(() => activate(request(), OPERATOR, 'hash', T0))).toBe('409 break_glass_not_approved');
    expect(codeOf(() => activate(deny(request(), 'x', null, T0), OPERATOR, 'hash', T0))).toBe('409 break_glass_not_approved');
    expect(expiryDue(active, later(20 * 60_000 - 1))).toBeNull();
    expect(expiryDue(active, later(20 * 60_000))).toBe('grant');
    // An active grant's clock is the grant's, not the request's 12 hours.
    expect(expiryDue({ ...active, grantExpiresAt: later(REQUEST_TTL_MS + 60_000).toISOString() }, later(REQUEST_TTL_MS))).toBeNull();
  });

  it('revokes an approved request or an active grant only', () => {
    const approved = approve(request(), { approval: approval('user:a'), mintedByOperator: null });
    expect(revoke(approved, 'tenant:acme:user:a', null, T0)).toMatchObject({ state: 'revoked', endReason: 'revoked by the tenant' });
    const active = activate(approved, OPERATOR, 'hash', T0);
    expect(revoke(active, 'tenant:acme:user:a', 'done', later(1000))).toMatchObject({ state: 'revoked', endReason: 'done', endedAt: later(1000).toISOString() });
    expect(codeOf(() => revoke(request(), 'x', null, T0))).toBe('409 break_glass_not_active');
    expect(endForTenant(active, 'tenant_suspended', 'operator:admin', T0)).toMatchObject({ state: 'revoked', endReason: 'tenant_suspended' });
  });
});
