// Shared by both engines' storage tests: a tenant scope is kept per tenant and isolation model
// (control-plane/storage/tenant-scope-cache.ts), and a kept scope reads what was written after it
// was made (a token, its revocation) as it is now; a suspension is read from the tenant's row.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Storage, TenantRef } from '../../control-plane/storage/types';
import { plainTenantRecord } from './seed-tenants';

/** Creates a siloed tenant in `storage` (at time `at`) and checks its kept scope. */
export async function checkKeptTenantScope(storage: Storage, at: string): Promise<void> {
  const id = randomUUID();
  await storage.createTenantStores(id, 'siloed');
  await storage.transaction((tx) => tx.insertTenant(plainTenantRecord(id, 'siloed', at), randomBytes(40)));
  const tenant: TenantRef = { id, isolationModel: 'siloed' };
  const scope = storage.tenantScope(tenant);
  expect(storage.tenantScope({ ...tenant })).toBe(scope);
  expect(storage.tenantScope({ id, isolationModel: 'pooled' })).not.toBe(scope);
  // Made before the token existed and before its revocation: it reads each as it is now.
  expect(await scope.tokenByHash('hash-1')).toBeNull();
  const token = { id: randomUUID(), kind: 'agent' as const, name: 'probe', createdAt: at, expiresAt: '2031-01-01T00:00:00.000Z', revokedAt: null, subjectId: null, tokenHash: 'hash-1' };
  await storage.transaction((tx) => tx.createTenantToken(tenant, token));
  expect((await storage.tenantScope(tenant).tokenByHash('hash-1'))?.revokedAt).toBeNull();
  await storage.transaction((tx) => tx.revokeTenantToken(tenant, token.id, 'agent', at));
  expect((await storage.tenantScope(tenant).tokenByHash('hash-1'))?.revokedAt).toBe(at);
  // A suspension is read from the tenant's row (as on every request, before and after it), never from the kept scope.
  expect((await storage.tenants.byId(id))?.state).toBe('active');
  await storage.transaction((tx) => tx.updateTenant(id, { state: 'suspended', updatedAt: at }));
  expect((await storage.tenants.byId(id))?.state).toBe('suspended');
  expect(storage.tenantScope(tenant)).toBe(scope);
}
