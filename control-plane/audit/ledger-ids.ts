/** The provider ledger's id; each tenant's ledger is identified by the tenant's id. */
export const PROVIDER_LEDGER = 'provider';

export function tenantLedger(tenantId: string): string {
  return tenantId;
}
