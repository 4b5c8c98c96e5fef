import { randomUUID } from 'node:crypto';
import { tenantLedger } from '../audit/ledger-ids';
import { ApiError } from '../errors';
import type { ProbeTestRecord, Storage, TenantRecord } from '../storage/types';
import { assertWithinQuota } from './quota-check';

/**
 * The tenant's probe tests catalog, within its max_tests quota. `changed` is told of every change
 * (ingest keeps each tenant's test ids to check what agents report against).
 */
export class ProbeTestService {
  constructor(private readonly deps: { storage: Storage; clock: () => Date; changed: (tenantId: string) => void }) {}

  list(tenant: TenantRecord): Promise<ProbeTestRecord[]> {
    return this.deps.storage.tenantScope(tenant).probeTests();
  }

  async create(tenant: TenantRecord, actor: string, input: { name: string; target: string; kind: ProbeTestRecord['kind']; interval_s: number }): Promise<ProbeTestRecord> {
    const test: ProbeTestRecord = { id: randomUUID(), name: input.name, target: input.target, kind: input.kind, intervalS: input.interval_s, createdAt: this.deps.clock().toISOString() };
    await this.deps.storage.transaction(async (tx) => {
      assertWithinQuota(tenant.quotas, 'max_tests', await tx.countProbeTests(tenant));
      await tx.createProbeTest(tenant, test);
      // The target is tenant data: the ledger names the test, not where it probes.
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'TEST_CREATED', tenantId: tenant.id, details: { test_id: test.id, name: test.name, kind: test.kind } }, test.createdAt);
    });
    this.deps.changed(tenant.id);
    return test;
  }

  async delete(tenant: TenantRecord, actor: string, id: string): Promise<void> {
    const at = this.deps.clock().toISOString();
    const deleted = await this.deps.storage.transaction(async (tx) => {
      const done = await tx.deleteProbeTest(tenant, id);
      if (done) {
        await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'TEST_DELETED', tenantId: tenant.id, details: { test_id: id } }, at);
      }
      return done;
    });
    this.deps.changed(tenant.id);
    if (!deleted) {
      throw new ApiError(404, 'not_found', 'This tenant has no test with that id.');
    }
  }
}
