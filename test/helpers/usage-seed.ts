import { randomBytes, randomUUID } from 'node:crypto';
import { defaultQuotas } from '../../contracts/tenants';
import type { Storage, TenantRecord } from '../../control-plane/storage/types';

/**
 * Pooled tenants with usage on one day, written through storage (not HTTP: the bench seeds 10,000):
 * tenant rows, one agent and one test each (their gauges recorded by the same writes as in
 * production), and every counter. Tenant i gets results i+1, bytes 100×(i+1), flows i, ai_calls 1.
 */
export async function seedUsageTenants(storage: Storage, count: number, at: string, prefix = 'tenant'): Promise<TenantRecord[]> {
  const tenants: TenantRecord[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    slug: `${prefix}-${String(i).padStart(5, '0')}`,
    name: `${prefix} ${i}`,
    isolationModel: 'pooled',
    residency: null,
    plan: null,
    contactEmail: null,
    state: 'active',
    quotas: defaultQuotas,
    fairness: null,
    createdAt: at,
    updatedAt: at,
    handedOverAt: null,
  }));
  for (const tenant of tenants) await storage.createTenantStores(tenant.id, 'pooled');
  await storage.transaction(async (tx) => {
    for (const tenant of tenants) {
      // Not a real wrapped key: these tenants never seal anything.
      await tx.insertTenant(tenant, randomBytes(60));
      await tx.createAgent(tenant, { id: randomUUID(), name: 'agent', poolId: null, groupName: null, createdAt: at });
      await tx.createProbeTest(tenant, { id: randomUUID(), name: 'test', target: 'https://example.test', kind: 'http', intervalS: 60, createdAt: at });
    }
  });
  await Promise.all(
    tenants.map(async (tenant, i) => {
      await storage.telemetry.addUsage(tenant, 'results_ingested', i + 1, at);
      await storage.telemetry.addUsage(tenant, 'ingest_bytes', 100 * (i + 1), at);
      if (i > 0) await storage.telemetry.addUsage(tenant, 'flow_events', i, at);
      await storage.telemetry.addUsage(tenant, 'ai_calls', 1, at);
    }),
  );
  return tenants;
}
