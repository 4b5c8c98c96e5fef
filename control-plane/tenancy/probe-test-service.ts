import { randomUUID } from 'node:crypto';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { ApiError } from '../errors';
import type { ProbeTestRecord, Storage, TenantRecord } from '../storage/types';
import { isSealedTarget, type ProbeTargets } from './probe-targets';
import { assertWithinQuota } from './quota-check';

/**
 * The tenant's probe tests catalog, within its max_tests quota, targets sealed with the tenant's
 * key. `changed` is told of every change (ingest keeps each tenant's test ids to check what agents
 * report against).
 */
export class ProbeTestService {
  constructor(private readonly deps: { storage: Storage; clock: () => Date; targets: ProbeTargets; changed: (tenantId: string) => void }) {}

  async list(tenant: TenantRecord): Promise<ProbeTestRecord[]> {
    const tests = await this.deps.storage.tenantScope(tenant).probeTests();
    if (tests.length === 0) return tests;
    const sealer = await this.deps.targets.sealer(tenant.id);
    return tests.map((test) => ({ ...test, target: sealer.open(test.target) }));
  }

  async create(tenant: TenantRecord, actor: string, input: { name: string; target: string; kind: ProbeTestRecord['kind']; interval_s: number }): Promise<ProbeTestRecord> {
    const test: ProbeTestRecord = { id: randomUUID(), name: input.name, target: input.target, kind: input.kind, intervalS: input.interval_s, createdAt: this.deps.clock().toISOString() };
    const sealer = await this.deps.targets.sealer(tenant.id);
    await this.deps.storage.transaction(async (tx) => {
      assertWithinQuota(tenant.quotas, 'max_tests', await tx.countProbeTests(tenant));
      await tx.createProbeTest(tenant, { ...test, target: sealer.seal(test.target) });
      // The target is tenant data: the ledger names the test, not where it probes.
      await tx.appendLedger(tenantLedger(tenant.id), { actor, eventType: 'TEST_CREATED', tenantId: tenant.id, details: { test_id: test.id, name: test.name, kind: test.kind } }, test.createdAt);
    });
    this.deps.changed(tenant.id);
    return test;
  }

  async delete(tenant: TenantRecord, actor: string, id: string): Promise<void> {
    const at = this.deps.clock().toISOString();
    const deleted = await this.deps.storage.transaction(async (tx) => {
      const done = await tx.deleteProbeTest(tenant, id, at);
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

  /**
   * Seals the targets stored in clear before targets were sealed, tenant by tenant (deleted tenants'
   * tests went with their data). Idempotent; run at start-up. Ledgered when it sealed any.
   */
  async sealStoredTargets(): Promise<number> {
    const { storage } = this.deps;
    let sealed = 0;
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await storage.tenants.list({ after, limit: 500 });
      for (const tenant of page) {
        if (tenant.state === 'deleted') continue;
        const plain = (await storage.tenantScope(tenant).probeTests()).filter((test) => !isSealedTarget(test.target));
        if (plain.length === 0) continue;
        const sealer = await this.deps.targets.sealer(tenant.id);
        await storage.transaction(async (tx) => {
          for (const test of plain) await tx.updateProbeTestTarget(tenant, test.id, sealer.seal(test.target));
        });
        // The clear targets' old bytes must not linger in a journal.
        await storage.scrub(tenant);
        sealed += plain.length;
      }
      const last = page.at(-1);
      if (last === undefined) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    if (sealed > 0) {
      await storage.transaction(async (tx) => {
        await tx.appendLedger(PROVIDER_LEDGER, { actor: 'control-plane', eventType: 'PROBE_TARGETS_SEALED', tenantId: null, details: { tests: sealed } }, this.deps.clock().toISOString());
      });
    }
    return sealed;
  }
}
