import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import type { WriteTx } from '../storage/types';

/** One event about a tenant, in the provider ledger and in the tenant's own, inside the caller's transaction. */
export async function ledgerBoth(tx: WriteTx, tenantId: string, actor: string, eventType: string, details: Record<string, unknown>, at: string): Promise<void> {
  await tx.appendLedger(PROVIDER_LEDGER, { actor, eventType, tenantId, details }, at);
  await tx.appendLedger(tenantLedger(tenantId), { actor, eventType, tenantId, details }, at);
}
