import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Uuid } from '../../contracts/common';
import { CreateProbeTestRequest, type ProbeTest } from '../../contracts/probe-tests';
import { tenantLedger } from '../audit/ledger-ids';
import type { TenantAuth } from '../auth/tenant-auth';
import type { ProbeTestRecord } from '../storage/types';
import { assertWithinQuota } from '../tenancy/quota-check';
import type { ProviderContext } from './context';
import type { OwnedTests } from '../ingest/owned-tests';
import { ApiError } from './errors';
import { parseWith } from './validation';

const TestParams = z.strictObject({ id: Uuid });

function view(test: ProbeTestRecord): ProbeTest {
  return { id: test.id, name: test.name, target: test.target, kind: test.kind, interval_s: test.intervalS, created_at: test.createdAt };
}

/** The tenant's probe tests catalog (/v1/tests), within its max_tests quota. */
export function probeTestRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, ownedTests: OwnedTests) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/tests', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'tests:read');
      return { items: (await ctx.storage.tenantScope(tenant).probeTests()).map(view), next_cursor: null };
    });

    app.post('/v1/tests', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'tests:write');
      const body = parseWith(CreateProbeTestRequest, request.body);
      const test: ProbeTestRecord = { id: randomUUID(), name: body.name, target: body.target, kind: body.kind, intervalS: body.interval_s, createdAt: ctx.clock().toISOString() };
      await ctx.storage.transaction(async (tx) => {
        assertWithinQuota(tenant.quotas, 'max_tests', await tx.countProbeTests(tenant));
        await tx.createProbeTest(tenant, test);
        // The target is tenant data: the ledger names the test, not where it probes.
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'TEST_CREATED', tenantId: tenant.id, details: { test_id: test.id, name: test.name, kind: test.kind } }, test.createdAt);
      });
      ownedTests.forget(tenant.id);
      return reply.code(201).send(view(test));
    });

    app.delete('/v1/tests/:id', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'tests:write');
      const { id } = parseWith(TestParams, request.params, 'path');
      const at = ctx.clock().toISOString();
      const deleted = await ctx.storage.transaction(async (tx) => {
        const done = await tx.deleteProbeTest(tenant, id);
        if (done) {
          await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'TEST_DELETED', tenantId: tenant.id, details: { test_id: id } }, at);
        }
        return done;
      });
      ownedTests.forget(tenant.id);
      if (!deleted) {
        throw new ApiError(404, 'not_found', 'This tenant has no test with that id.');
      }
      return reply.code(204).send();
    });
    return Promise.resolve();
  };
}
