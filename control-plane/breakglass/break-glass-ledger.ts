import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import type { BreakGlassRecord, WriteTx } from '../storage/types';
import { SYSTEM_ACTOR, endForTenant, expire, expiryDue } from './break-glass-rules';

/**
 * Break-glass writes that other modules share: every event goes to the tenant's ledger AND the
 * provider ledger in the caller's transaction, with the state change it records, or not at all.
 */

export type BreakGlassEvent =
  | 'BREAK_GLASS_REQUESTED'
  | 'BREAK_GLASS_APPROVED'
  | 'BREAK_GLASS_DENIED'
  | 'BREAK_GLASS_ACTIVATED'
  | 'BREAK_GLASS_READ'
  | 'BREAK_GLASS_REVOKED'
  | 'BREAK_GLASS_EXPIRED'
  | 'BREAK_GLASS_SETTINGS_CHANGED';

export async function ledgerBoth(tx: WriteTx, tenantId: string, actor: string, eventType: BreakGlassEvent, details: Record<string, unknown>, at: string): Promise<void> {
  await tx.appendLedger(PROVIDER_LEDGER, { actor, eventType, tenantId, details }, at);
  await tx.appendLedger(tenantLedger(tenantId), { actor, eventType, tenantId, details }, at);
}

/** Expires a locked request whose deadline has passed (and ledgers it); answers the record as it now is. */
export async function expireIfDue(tx: WriteTx, record: BreakGlassRecord, now: Date): Promise<BreakGlassRecord> {
  const phase = expiryDue(record, now);
  if (phase === null) return record;
  const expired = expire(record, phase, now);
  await tx.updateBreakGlass(expired);
  const deadline = phase === 'request' ? record.requestExpiresAt : record.grantExpiresAt;
  await ledgerBoth(tx, record.tenantId, SYSTEM_ACTOR, 'BREAK_GLASS_EXPIRED', { request_id: record.id, phase, from_state: record.state, deadline }, now.toISOString());
  return expired;
}

/**
 * A suspended or deleted tenant ends every request that is not over: pending and approved ones
 * and active grants, each revoked and ledgered. Runs inside the suspension's or deletion's transaction.
 */
export async function endOpenRequests(tx: WriteTx, tenantId: string, cause: 'tenant_suspended' | 'tenant_deleted', actor: string, now: Date): Promise<number> {
  const open = await tx.openBreakGlassForUpdate(tenantId);
  let endedCount = 0;
  for (const found of open) {
    // What time had already ended stays an expiry in the record and the ledgers.
    const record = await expireIfDue(tx, found, now);
    if (record.state === 'expired') continue;
    endedCount++;
    const ended = endForTenant(record, cause, actor, now);
    await tx.updateBreakGlass(ended);
    await ledgerBoth(tx, tenantId, actor, 'BREAK_GLASS_REVOKED', { request_id: record.id, from_state: record.state, reason: cause }, now.toISOString());
  }
  return endedCount;
}
