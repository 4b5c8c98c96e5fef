import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { ERROR_SCHEMA, GROUP_SCHEMA, PATCH_OP, scimCall, scimTenant, USER_SCHEMA, type Method, type ScimList, type ScimResource, type ScimTenant } from '../../../test/helpers/scim-fixtures';

/**
 * Cross-tenant isolation of /scim/v2: a SCIM token reaches its own tenant's users and groups and
 * nothing else, whether the other tenant is pooled or hybrid (shared control tables) or siloed
 * (own store), and the same names may exist in both.
 */
describe('SCIM isolation between tenants', () => {
  let t: TestApp;
  const tenants: Record<'siloed' | 'pooled' | 'hybrid', ScimTenant> = {} as Record<'siloed' | 'pooled' | 'hybrid', ScimTenant>;
  const seeded = new Map<ScimTenant, { user: ScimResource; group: ScimResource }>();

  const scim = (tenant: ScimTenant, method: Method, url: string, body?: unknown) => scimCall(t, method, `/scim/v2${url}`, tenant.scim, body);

  beforeAll(async () => {
    t = await buildTestApp();
    tenants.siloed = await scimTenant(t, 'iso-siloed', 'siloed');
    tenants.pooled = await scimTenant(t, 'iso-pooled', 'pooled');
    tenants.hybrid = await scimTenant(t, 'iso-hybrid', 'hybrid');
    for (const tenant of Object.values(tenants)) {
      // Every tenant has a user and a group of the same names: uniqueness is per tenant.
      const user = await scim(tenant, 'POST', '/Users', { schemas: [USER_SCHEMA], userName: 'shared.name@example.com', externalId: `ext-${tenant.slug}` });
      expect(user.statusCode, user.body).toBe(201);
      const group = await scim(tenant, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'admins', members: [{ value: user.json<ScimResource>().id }] });
      expect(group.statusCode, group.body).toBe(201);
      await scim(tenant, 'POST', '/Users', { schemas: [USER_SCHEMA], userName: `only.${tenant.slug}@example.com` });
      seeded.set(tenant, { user: user.json<ScimResource>(), group: group.json<ScimResource>() });
    }
  });

  afterAll(async () => {
    await t.close();
  });

  const pairs: ['siloed' | 'pooled' | 'hybrid', 'siloed' | 'pooled' | 'hybrid'][] = [
    ['siloed', 'pooled'],
    ['pooled', 'siloed'],
    ['pooled', 'hybrid'],
    ['hybrid', 'pooled'],
    ['hybrid', 'siloed'],
  ];

  it.each(pairs)('%s\'s token finds nothing of %s: its ids are 404 for every method, and nothing of it is listed', async (self, other) => {
    const me = tenants[self];
    const them = tenants[other];
    const theirs = seeded.get(them);
    if (theirs === undefined) throw new Error('not seeded');
    const { user, group } = theirs;
    const patchUser = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] };
    const patchGroup = { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: seeded.get(me)?.user.id }] }] };
    for (const [method, url, body] of [
      ['GET', `/Users/${user.id}`, undefined],
      ['PUT', `/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'hijack' }],
      ['PATCH', `/Users/${user.id}`, patchUser],
      ['DELETE', `/Users/${user.id}`, undefined],
      ['GET', `/Groups/${group.id}`, undefined],
      ['PUT', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'hijack' }],
      ['PATCH', `/Groups/${group.id}`, patchGroup],
      ['DELETE', `/Groups/${group.id}`, undefined],
    ] as const) {
      const response = await scim(me, method, url, body);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(404);
      expect(response.json<{ schemas: string[] }>().schemas).toEqual([ERROR_SCHEMA]);
    }
    // Lists and filters: the other tenant's ids and names never appear.
    const users = (await scim(me, 'GET', '/Users')).json<ScimList>();
    expect(users.totalResults).toBe(2);
    expect(users.Resources.map((entry) => entry.id)).not.toContain(user.id);
    expect(users.Resources.map((entry) => entry.userName)).not.toContain(`only.${them.slug}@example.com`);
    for (const filter of [`id eq "${user.id}"`, `userName eq "only.${them.slug}@example.com"`, `externalId eq "ext-${them.slug}"`, `userName co "${them.slug}"`, `groups.value eq "${group.id}"`]) {
      expect((await scim(me, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).json<ScimList>().totalResults, filter).toBe(0);
    }
    for (const filter of [`id eq "${group.id}"`, `members.value eq "${user.id}"`]) {
      expect((await scim(me, 'GET', `/Groups?filter=${encodeURIComponent(filter)}`)).json<ScimList>().totalResults, filter).toBe(0);
    }
    // A foreign user cannot be made a member of one's own group: it does not exist here.
    const own = seeded.get(me)?.group;
    const smuggle = await scim(me, 'PATCH', `/Groups/${own?.id ?? ''}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] });
    expect(smuggle.statusCode).toBe(400);
    expect(smuggle.json()).toMatchObject({ scimType: 'invalidValue' });
    // The other tenant's data is untouched.
    const still = await scim(them, 'GET', `/Users/${user.id}`);
    expect(still.json()).toMatchObject({ userName: 'shared.name@example.com', active: true });
    const theirGroup = (await scim(them, 'GET', `/Groups/${group.id}`)).json<ScimResource>();
    expect(theirGroup).toMatchObject({ displayName: 'admins', members: [{ value: user.id }] });
  });

  it('deleting a pooled tenant purges its users, groups and memberships from the shared tables', async () => {
    const doomed = await scimTenant(t, 'iso-doomed', 'pooled');
    const user = (await scim(doomed, 'POST', '/Users', { schemas: [USER_SCHEMA], userName: 'doomed@example.com' })).json<ScimResource>();
    expect((await scim(doomed, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'doomed', members: [{ value: user.id }] })).statusCode).toBe(201);
    const storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    try {
      const record = await storage.tenants.bySlug('iso-doomed');
      if (record === null) throw new Error('tenant missing');
      const scope = storage.tenantScope(record);
      expect([(await scope.users()).length, (await scope.groups()).length, (await scope.memberships()).length]).toEqual([1, 1, 1]);
      expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/iso-doomed', headers: await t.adminHeaders() })).statusCode).toBe(204);
      expect([(await scope.users()).length, (await scope.groups()).length, (await scope.memberships()).length]).toEqual([0, 0, 0]);
    } finally {
      await storage.close();
    }
    // The other tenants' directories are untouched.
    expect((await scim(tenants.pooled, 'GET', '/Users')).json<ScimList>().totalResults).toBe(2);
  });

  it('a siloed tenant keeps its directory in its own store', async () => {
    const tables = (await t.engine.ownStoreTables(tenants.siloed.id)).map((entry) => entry.table);
    expect(tables).toEqual(expect.arrayContaining(['tenant_users', 'tenant_groups', 'group_members']));
  });
});
