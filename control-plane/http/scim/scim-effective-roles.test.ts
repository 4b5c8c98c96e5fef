import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { GROUP_SCHEMA, PATCH_OP, scimCall, scimTenant, USER_SCHEMA, type Method, type ScimResource, type ScimTenant } from '../../../test/helpers/scim-fixtures';
import { effectiveRoles } from '../../identity/effective-roles';
import type { Storage, TenantScope } from '../../storage/types';

/**
 * A user provisioned by SCIM has no roles until a group it is in maps to a role; the roles follow
 * membership, group renames, mapping changes and deactivation at once (computed at read time).
 */
describe.each(['pooled', 'siloed'] as const)('effective roles of SCIM users (%s tenant)', (model) => {
  let t: TestApp;
  let tenant: ScimTenant;
  let storage: Storage;
  let scope: TenantScope;

  beforeEach(async () => {
    t = await buildTestApp();
    tenant = await scimTenant(t, `roles-${model}`, model);
    // A second handle on the same data, read as the app reads it (through the tenant's scope).
    storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    const record = await storage.tenants.bySlug(tenant.slug);
    if (record === null) throw new Error('tenant missing');
    scope = storage.tenantScope(record);
  });

  afterEach(async () => {
    await storage.close();
    await t.close();
  });

  const scim = async (method: Method, url: string, body?: unknown) => {
    const response = await scimCall(t, method, `/scim/v2${url}`, tenant.scim, body);
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.statusCode === 204 ? null : response.json<ScimResource>();
  };
  const admin = async (method: 'PUT', url: string, payload: object) => {
    const response = await t.app.inject({ method, url, headers: tenant.admin, payload });
    expect(response.statusCode, response.body).toBe(200);
  };
  const patch = (url: string, ...operations: object[]) => scim('PATCH', url, { schemas: [PATCH_OP], Operations: operations });

  it('follows memberships, renames, mappings and deactivation immediately', async () => {
    await admin('PUT', '/v1/roles', { roles: [{ name: 'noc', permissions: ['telemetry:read', 'tests:read'] }] });
    await admin('PUT', '/v1/directory/role-mappings', { mappings: [{ group: 'acme-admins', role: 'admin' }, { group: 'acme-noc', role: 'noc' }, { group: 'acme-noc', role: 'viewer' }] });

    const user = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'frank@acme.example', active: true });
    const other = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'grace@acme.example', active: true });
    if (user === null || other === null) throw new Error('no user');
    // Provisioned, in no group: no roles.
    expect(await effectiveRoles(scope, user.id)).toEqual([]);

    // The mapping names the group in lowercase; the IdP's displayName differs in case only: it maps.
    const admins = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'ACME-Admins', members: [{ value: user.id }] });
    const noc = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'acme-noc' });
    const unmapped = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'everyone', members: [{ value: user.id }, { value: other.id }] });
    if (admins === null || noc === null || unmapped === null) throw new Error('no group');
    expect(await effectiveRoles(scope, user.id)).toEqual(['admin']);
    expect(await effectiveRoles(scope, other.id)).toEqual([]);

    await patch(`/Groups/${noc.id}`, { op: 'Add', path: 'members', value: [{ value: user.id }] });
    expect(await effectiveRoles(scope, user.id)).toEqual(['admin', 'noc', 'viewer']);

    // Entra's remove shape.
    await patch(`/Groups/${admins.id}`, { op: 'Remove', path: `members[value eq "${user.id}"]` });
    expect(await effectiveRoles(scope, user.id)).toEqual(['noc', 'viewer']);

    // Renaming the group away from the mapped name removes its roles; a new mapping gives them back.
    await patch(`/Groups/${noc.id}`, { op: 'replace', path: 'displayName', value: 'acme-noc-renamed' });
    expect(await effectiveRoles(scope, user.id)).toEqual([]);
    await admin('PUT', '/v1/directory/role-mappings', { mappings: [{ group: 'acme-noc-renamed', role: 'operator' }] });
    expect(await effectiveRoles(scope, user.id)).toEqual(['operator']);

    // A deactivated user holds no roles; reactivated, it has them again.
    await patch(`/Users/${user.id}`, { op: 'replace', value: { active: false } });
    expect(await effectiveRoles(scope, user.id)).toEqual([]);
    await patch(`/Users/${user.id}`, { op: 'replace', path: 'active', value: 'True' });
    expect(await effectiveRoles(scope, user.id)).toEqual(['operator']);

    // Deleting the group drops its roles; a deleted user has none.
    await scim('DELETE', `/Groups/${noc.id}`);
    expect(await effectiveRoles(scope, user.id)).toEqual([]);
    await scim('DELETE', `/Users/${user.id}`);
    expect(await effectiveRoles(scope, user.id)).toEqual([]);
    expect(await scope.memberships({ userIds: [user.id] })).toEqual([]);
  });
});
