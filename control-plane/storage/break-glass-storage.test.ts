import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { newRequest } from '../breakglass/break-glass-rules';
import type { BreakGlassRecord, Storage, TenantRecord } from './types';

/**
 * The break-glass tables through the Storage interface, on the engine under test (SQLite here,
 * PostgreSQL in the postgres project), for a pooled and a siloed tenant: each tenant's scope and
 * transactions reach its own requests and settings only, whatever id or hash is presented.
 */
describe('break-glass storage across tenants', () => {
  let t: TestApp;
  let storage: Storage;
  let a: TenantRecord;
  let b: TenantRecord;

  beforeEach(async () => {
    t = await buildTestApp();
    const admin = await t.adminHeaders();
    for (const [slug, isolation_model] of [
      ['bg-a', 'pooled'],
      ['bg-b', 'siloed'],
    ] as const) {
      expect((await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug, name: slug, isolation_model } })).statusCode).toBe(201);
    }
    storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    const [first, second] = [await storage.tenants.bySlug('bg-a'), await storage.tenants.bySlug('bg-b')];
    if (first === null || second === null) throw new Error('tenants missing');
    [a, b] = [first, second];
  });

  afterEach(async () => {
    await storage.close();
    await t.close();
  });

  const record = (tenant: TenantRecord, minute: number): BreakGlassRecord => ({
    ...newRequest({
      id: randomUUID(),
      tenantId: tenant.id,
      operator: { id: randomUUID(), username: 'oncall' },
      reason: `for ${tenant.slug}`,
      scope: ['telemetry:read'],
      durationMinutes: 30,
      requiredApprovals: 1,
      now: new Date(Date.UTC(2026, 10, 22, 10, minute)),
    }),
    state: 'active',
    grantHash: `hash-${tenant.slug}-${String(minute)}`,
    grantExpiresAt: '2026-11-22T12:00:00.000Z',
  });

  it("each tenant's scope and transactions reach only its own requests and settings", async () => {
    const ofA = record(a, 1);
    const ofB = record(b, 2);
    await storage.transaction(async (tx) => {
      await tx.insertBreakGlass(ofA);
      await tx.insertBreakGlass(ofB);
      await tx.putBreakGlassSettings(a.id, { requiredApprovals: 2, updatedAt: ofA.createdAt });
    });
    const scopeA = storage.tenantScope(a);
    const scopeB = storage.tenantScope(b);
    expect(await scopeA.breakGlassRequests({ limit: 10 })).toEqual([ofA]);
    expect(await scopeB.breakGlassRequests({ limit: 10 })).toEqual([ofB]);
    expect(await scopeB.breakGlassRequest(ofA.id)).toBeNull();
    expect(await scopeB.breakGlassByGrantHash(ofA.grantHash ?? '')).toBeNull();
    expect(await scopeA.breakGlassByGrantHash(ofA.grantHash ?? '')).toEqual(ofA);
    expect(await scopeA.breakGlassSettings()).toEqual({ requiredApprovals: 2, updatedAt: ofA.createdAt });
    expect(await scopeB.breakGlassSettings()).toBeNull();

    // A transaction in B's name finds, locks and changes none of A's rows, even given A's id.
    await storage.transaction(async (tx) => {
      expect(await tx.breakGlassForUpdate(b.id, ofA.id)).toBeNull();
      expect((await tx.openBreakGlassForUpdate(b.id)).map((row) => row.id)).toEqual([ofB.id]);
      await tx.updateBreakGlass({ ...ofA, tenantId: b.id, state: 'revoked' });
    });
    expect(await scopeA.breakGlassRequest(ofA.id)).toMatchObject({ state: 'active' });

    // The provider's view spans tenants, and filters by one.
    expect((await storage.breakGlass.list({ limit: 10 })).map((row) => row.id)).toEqual([ofA.id, ofB.id]);
    expect((await storage.breakGlass.list({ tenantId: b.id, limit: 10 })).map((row) => row.id)).toEqual([ofB.id]);
    expect((await storage.breakGlass.list({ after: { createdAt: ofA.createdAt, id: ofA.id }, limit: 10 })).map((row) => row.id)).toEqual([ofB.id]);
    expect(await storage.breakGlass.byId(ofB.id)).toEqual(ofB);
    expect((await storage.breakGlass.due('2026-11-22T12:00:00.000Z', 10)).map((row) => row.id)).toEqual([ofA.id, ofB.id]);
    expect(await storage.breakGlass.due('2026-11-22T11:59:59.999Z', 10)).toEqual([]);
  });
});
