import { randomUUID } from 'node:crypto';
import { defaultQuotas } from '../../contracts/tenants';
import type { Storage, TenantRecord } from '../../control-plane/storage/types';
import { newTenantDataKey } from '../../control-plane/tenancy/tenant-keys';

/**
 * Many pooled tenants at once, written straight to storage in one transaction (the API takes about
 * 16 ms a tenant, its ledger entries included: 10,000 would take minutes). For tests of what reads
 * many tenants (the console's table); what creating one does is tested through the API. Every
 * tenth is suspended; created a second apart, in `slug-00000` order.
 */
export async function seedPooledTenants(storage: Storage, deploymentKey: Buffer, count: number, prefix = 'seeded'): Promise<void> {
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  await storage.transaction(async (tx) => {
    for (let index = 0; index < count; index++) {
      const id = randomUUID();
      const at = new Date(start + index * 1000).toISOString();
      const record: TenantRecord = {
        id,
        slug: `${prefix}-${String(index).padStart(5, '0')}`,
        name: `Seeded tenant ${index}`,
        isolationModel: 'pooled',
        residency: index % 2 === 0 ? 'eu' : 'us',
        plan: index % 4 === 0 ? 'enterprise' : 'standard',
        contactEmail: null,
        state: index % 10 === 9 ? 'suspended' : 'active',
        quotas: defaultQuotas,
        fairness: null,
        createdAt: at,
        updatedAt: at,
        handedOverAt: null,
      };
      await tx.insertTenant(record, newTenantDataKey(deploymentKey, id).wrapped);
    }
  });
}

/** An active tenant's record with default settings, for tests that need the row and nothing of what the API adds. */
export function plainTenantRecord(id: string, isolationModel: TenantRecord['isolationModel'], at: string): TenantRecord {
  return {
    id,
    slug: `t-${id.slice(0, 8)}`,
    name: `Tenant ${isolationModel}`,
    isolationModel,
    residency: null,
    plan: null,
    contactEmail: null,
    state: 'active',
    quotas: defaultQuotas,
    fairness: null,
    createdAt: at,
    updatedAt: at,
    handedOverAt: null,
  };
}
