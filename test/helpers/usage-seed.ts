import { randomBytes, randomUUID } from 'node:crypto';
import type { Storage, TenantRecord } from '../../control-plane/storage/types';
import { plainTenantRecord } from './seed-tenants';

/**
 * Pooled tenants with usage on one day, written through storage (not HTTP: the bench seeds 10,000):
 * tenant rows, one agent and one test each (their gauges recorded by the same writes as in
 * production), and every counter. Tenant i gets results i+1, bytes 100×(i+1), flows i, ai_calls 1.
 */
export interface CounterRow {
  tenantId: string;
  meter: 'results_ingested' | 'ingest_bytes' | 'flow_events' | 'ai_calls';
  value: number;
}

/**
 * `writeCounters`: how the counters get there. Default: telemetry.addUsage, the production call
 * (a transaction each); the bench writes 40,000 in one transaction of its own instead.
 */
export async function seedUsageTenants(storage: Storage, count: number, at: string, prefix = 'tenant', writeCounters?: (rows: CounterRow[], day: string) => void): Promise<TenantRecord[]> {
  const tenants: TenantRecord[] = Array.from({ length: count }, (_, i) => ({
    ...plainTenantRecord(randomUUID(), 'pooled', at),
    slug: `${prefix}-${String(i).padStart(5, '0')}`,
    name: `${prefix} ${i}`,
  }));
  // No placement in a cell (createTenantStores): placing 10,000 one by one counts every placement each
  // time. Unplaced pooled tenants live in cell 0, as tenants from before cells do.
  await storage.transaction(async (tx) => {
    for (const tenant of tenants) {
      // Not a real wrapped key: these tenants never seal anything.
      await tx.insertTenant(tenant, randomBytes(60));
      await tx.createAgent(tenant, { id: randomUUID(), name: 'agent', poolId: null, groupName: null, createdAt: at });
      await tx.createProbeTest(tenant, { id: randomUUID(), name: 'test', target: 'https://example.test', kind: 'http', intervalS: 60, createdAt: at });
    }
  });
  const counters = tenants.flatMap((tenant, i): CounterRow[] => [
    { tenantId: tenant.id, meter: 'results_ingested', value: i + 1 },
    { tenantId: tenant.id, meter: 'ingest_bytes', value: 100 * (i + 1) },
    ...(i > 0 ? [{ tenantId: tenant.id, meter: 'flow_events' as const, value: i }] : []),
    { tenantId: tenant.id, meter: 'ai_calls', value: 1 },
  ]);
  if (writeCounters !== undefined) writeCounters(counters, at.slice(0, 10));
  else await Promise.all(counters.map((row) => storage.telemetry.addUsage({ id: row.tenantId, isolationModel: 'pooled' }, row.meter, row.value, at)));
  return tenants;
}
