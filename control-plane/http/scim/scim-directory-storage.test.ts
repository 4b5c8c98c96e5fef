import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { scimTenant } from '../../../test/helpers/scim-fixtures';
import { tenantLedger } from '../../audit/ledger-ids';
import { DirectoryConflict, type DirectoryUser, type Storage, type TenantRecord } from '../../storage/types';

/**
 * The directory tables through the Storage interface, on the engine under test (SQLite here,
 * PostgreSQL in the postgres project): a directory write commits with its ledger entry or not at
 * all (a SQLite silo joins the transaction), uniqueness is case-insensitive, and ids that are not
 * the tenant's simply match nothing.
 */
describe.each(['pooled', 'siloed'] as const)('directory storage (%s tenant)', (model) => {
  let t: TestApp;
  let storage: Storage;
  let tenant: TenantRecord;

  beforeEach(async () => {
    t = await buildTestApp();
    await scimTenant(t, `dir-${model}`, model);
    storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    const record = await storage.tenants.bySlug(`dir-${model}`);
    if (record === null) throw new Error('tenant missing');
    tenant = record;
  });

  afterEach(async () => {
    await storage.close();
    await t.close();
  });

  const user = (userName: string): DirectoryUser => ({
    id: randomUUID(),
    userName,
    externalId: null,
    displayName: null,
    givenName: null,
    familyName: null,
    emails: [{ value: `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
    version: 1,
  });

  it('a write and its ledger entry commit together, or neither does', async () => {
    const head = await storage.ledgers.head(tenantLedger(tenant.id));
    await expect(
      storage.transaction(async (tx) => {
        await tx.insertTenantUser(tenant, user('rolled.back'));
        await tx.appendLedger(tenantLedger(tenant.id), { actor: 'test', eventType: 'USER_PROVISIONED', tenantId: tenant.id, details: {} }, '2026-11-22T10:00:00.000Z');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await storage.tenantScope(tenant).users()).toEqual([]);
    expect((await storage.ledgers.head(tenantLedger(tenant.id))).size).toBe(head.size);

    const kept = user('kept');
    await storage.transaction(async (tx) => {
      await tx.insertTenantUser(tenant, kept);
      await tx.appendLedger(tenantLedger(tenant.id), { actor: 'test', eventType: 'USER_PROVISIONED', tenantId: tenant.id, details: {} }, '2026-11-22T10:00:00.000Z');
    });
    expect(await storage.tenantScope(tenant).users()).toEqual([kept]);
    expect((await storage.ledgers.head(tenantLedger(tenant.id))).size).toBe(head.size + 1);
  });

  it('userName and group displayName are unique regardless of case; a clash is a DirectoryConflict and rolls back', async () => {
    const first = user('Case.Test');
    await storage.transaction((tx) => tx.insertTenantUser(tenant, first));
    await expect(storage.transaction((tx) => tx.insertTenantUser(tenant, user('case.TEST')))).rejects.toBeInstanceOf(DirectoryConflict);
    const second = user('other');
    await storage.transaction((tx) => tx.insertTenantUser(tenant, second));
    await expect(storage.transaction((tx) => tx.updateTenantUser(tenant, { ...second, userName: 'CASE.test', version: 2 }))).rejects.toMatchObject({ constraint: 'user_name' });
    expect((await storage.tenantScope(tenant).userByUserName('CASE.TEST'))?.id).toBe(first.id);

    const group = { id: randomUUID(), displayName: 'Admins', externalId: null, createdAt: first.createdAt, updatedAt: first.createdAt, version: 1 };
    await storage.transaction((tx) => tx.insertTenantGroup(tenant, group));
    await expect(storage.transaction((tx) => tx.insertTenantGroup(tenant, { ...group, id: randomUUID(), displayName: 'ADMINS' }))).rejects.toMatchObject({ constraint: 'group_display_name' });
    expect((await storage.tenantScope(tenant).groupByDisplayName('admins'))?.id).toBe(group.id);
  });

  it('memberships follow deletes; unknown or malformed ids match nothing', async () => {
    const member = user('member');
    const group = { id: randomUUID(), displayName: 'g', externalId: 'ext-g', createdAt: member.createdAt, updatedAt: member.createdAt, version: 1 };
    await storage.transaction(async (tx) => {
      await tx.insertTenantUser(tenant, member);
      await tx.insertTenantGroup(tenant, group);
      expect(await tx.lockTenantUsers(tenant, [member.id, randomUUID(), 'not-a-uuid'])).toEqual([member.id]);
      await tx.addGroupMembers(tenant, group.id, [member.id]);
      await tx.addGroupMembers(tenant, group.id, [member.id]);
      expect(await tx.groupMemberIds(tenant, group.id)).toEqual([member.id]);
    });
    const scope = storage.tenantScope(tenant);
    expect(await scope.memberships({ userIds: [member.id] })).toEqual([{ groupId: group.id, groupDisplayName: 'g', userId: member.id, userName: 'member', userDisplayName: null }]);
    expect(await scope.usersByIds(['not-a-uuid', randomUUID()])).toEqual([]);
    expect(await scope.groupsByIds(['x'])).toEqual([]);
    expect((await scope.groupsByExternalId('ext-g')).map((entry) => entry.id)).toEqual([group.id]);
    expect(await storage.transaction((tx) => tx.tenantUserForUpdate(tenant, 'not-a-uuid'))).toBeNull();
    expect(await storage.transaction((tx) => tx.deleteTenantUser(tenant, member.id))).toBe(true);
    expect(await scope.memberships()).toEqual([]);
    expect(await storage.transaction((tx) => tx.deleteTenantUser(tenant, member.id))).toBe(false);
    expect(await scope.groupCount()).toBe(1);
  });
});
