import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryUserView, RolesView, ScimTokenCreated, ScimTokenView } from '../../../contracts/tenant-directory';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { hashToken } from '../../auth/tokens';

type Headers = { authorization: string };

describe('tenant directory: SCIM tokens, roles, role mappings', () => {
  let t: TestApp;
  let a: Headers;
  let b: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    a = await t.tenantAdminHeaders('tenant-a', 'siloed');
    b = await t.tenantAdminHeaders('tenant-b', 'pooled');
  });

  afterEach(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Headers, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  it('mints a SCIM token shown once; the list never shows it; only its hash is stored', async () => {
    const created = await call('POST', '/v1/directory/scim-tokens', a, { name: 'okta' });
    expect(created.statusCode).toBe(201);
    const token = ScimTokenCreated.parse(created.json());
    expect(token.token).toMatch(/^bhs_[A-Za-z0-9_-]{43}$/);
    const list = await call('GET', '/v1/directory/scim-tokens', a);
    expect(list.json<{ items: unknown[] }>().items.map((item) => ScimTokenView.parse(item))).toEqual([
      { id: token.id, name: 'okta', created_at: token.created_at, expires_at: token.expires_at, revoked_at: null },
    ]);
    expect(list.body).not.toContain(token.token);
    expect(list.body).not.toContain(hashToken(token.token));
    await t.app.close();
    const contents = await t.engine.rawContents();
    expect(contents.some((content) => content.includes(token.token))).toBe(false);
    expect(contents.some((content) => content.includes(hashToken(token.token)))).toBe(true);
  });

  it("lists the tenant's own users (read-only) with their groups and mapped roles, paged; never another tenant's", async () => {
    const scimOf = async (headers: Headers) => ({ authorization: `Bearer ${ScimTokenCreated.parse((await call('POST', '/v1/directory/scim-tokens', headers, { name: 'idp' })).json()).token}` });
    const scimPost = (scim: Headers, url: string, resource: object) => t.app.inject({ method: 'POST', url, headers: { ...scim, 'content-type': 'application/scim+json' }, payload: JSON.stringify(resource) });
    const user = (userName: string, active = true) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, displayName: userName.toUpperCase(), active });
    const [scimA, scimB] = [await scimOf(a), await scimOf(b)];
    const ids: string[] = [];
    for (const [name, active] of [['ann', true], ['art', true], ['abe', false]] as const) {
      ids.push((await scimPost(scimA, '/scim/v2/Users', user(name, active))).json<{ id: string }>().id);
    }
    const bob = (await scimPost(scimB, '/scim/v2/Users', user('bob'))).json<{ id: string }>().id;
    await scimPost(scimA, '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ops', members: ids.map((value) => ({ value })) });
    expect((await call('PUT', '/v1/directory/role-mappings', a, { mappings: [{ group: 'ops', role: 'operator' }] })).statusCode).toBe(200);

    const first = await call('GET', '/v1/directory/users?limit=2', a);
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json<{ items: unknown[]; next_cursor: string | null }>();
    expect(page.items).toHaveLength(2);
    expect(page.next_cursor).toBe('2');
    const rest = (await call('GET', `/v1/directory/users?limit=2&cursor=${page.next_cursor}`, a)).json<{ items: unknown[]; next_cursor: string | null }>();
    expect(rest.items).toHaveLength(1);
    expect(rest.next_cursor).toBeNull();
    // (The test clock stands still, so creation order ties; compare the whole list by name.)
    const all = [...page.items, ...rest.items].map((item) => DirectoryUserView.parse(item)).sort((x, y) => x.user_name.localeCompare(y.user_name));
    expect(all).toMatchObject([
      // A deactivated user is listed, with no roles (a session of theirs ends at once).
      { id: ids[2], user_name: 'abe', active: false, groups: ['Ops'], roles: [] },
      { id: ids[0], user_name: 'ann', display_name: 'ANN', active: true, groups: ['Ops'], roles: ['operator'] },
      { id: ids[1], user_name: 'art', active: true, groups: ['Ops'], roles: ['operator'] },
    ]);
    // Tenant B sees only bob; A's ids never appear there.
    const listB = await call('GET', '/v1/directory/users', b);
    expect(listB.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([bob]);
    for (const id of ids) expect(listB.body).not.toContain(id);
    // Only callers with users:read; the SCIM token is no tenant-admin credential; a forged cursor is refused.
    expect((await call('GET', '/v1/directory/users', scimA)).statusCode).toBe(401);
    expect((await call('GET', '/v1/directory/users', await t.tenantUserHeaders(a, 'viewer'))).statusCode).toBe(403);
    expect((await call('GET', '/v1/directory/users?cursor=abc', a)).statusCode).toBe(400);
  });

  it('a SCIM token is not an admin token, and an admin token is not a SCIM token', async () => {
    const token = ScimTokenCreated.parse((await call('POST', '/v1/directory/scim-tokens', a, { name: 'entra' })).json());
    expect((await call('GET', '/v1/tenant', { authorization: `Bearer ${token.token}` })).statusCode).toBe(401);
    expect((await call('GET', '/v1/directory/scim-tokens', { authorization: `Bearer ${token.token}` })).statusCode).toBe(401);
  });

  it('revokes at once, and tenant A cannot revoke or see tenant B\'s tokens', async () => {
    const tokenB = ScimTokenCreated.parse((await call('POST', '/v1/directory/scim-tokens', b, { name: 'b-idp' })).json());
    expect((await call('GET', '/v1/directory/scim-tokens', a)).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await call('DELETE', `/v1/directory/scim-tokens/${tokenB.id}`, a)).statusCode).toBe(404);
    expect((await call('GET', '/v1/directory/scim-tokens', b)).json<{ items: { revoked_at: string | null }[] }>().items[0]?.revoked_at).toBeNull();
    expect((await call('DELETE', `/v1/directory/scim-tokens/${tokenB.id}`, b)).statusCode).toBe(204);
    expect((await call('DELETE', `/v1/directory/scim-tokens/${tokenB.id}`, b)).statusCode).toBe(404);
    expect((await call('GET', '/v1/directory/scim-tokens', b)).json<{ items: { revoked_at: string | null }[] }>().items[0]?.revoked_at).not.toBeNull();
    const ledger = (await call('GET', '/v1/audit', b)).json<{ items: { event_type: string }[] }>();
    expect(ledger.items.map((entry) => entry.event_type).slice(0, 2)).toEqual(['SCIM_TOKEN_REVOKED', 'SCIM_TOKEN_CREATED']);
    expect((await call('GET', '/v1/audit/verify', b)).json()).toMatchObject({ ok: true });
  });

  it('serves the built-in roles and keeps custom roles per tenant', async () => {
    const builtins = RolesView.parse((await call('GET', '/v1/roles', a)).json());
    expect(builtins.roles.map((role) => [role.name, role.builtin])).toEqual([
      ['admin', true],
      ['operator', true],
      ['viewer', true],
    ]);
    const put = await call('PUT', '/v1/roles', a, { roles: [{ name: 'noc', permissions: ['telemetry:read', 'tests:read'] }] });
    expect(put.statusCode).toBe(200);
    expect(RolesView.parse((await call('GET', '/v1/roles', a)).json()).roles.map((role) => role.name)).toEqual(['admin', 'operator', 'viewer', 'noc']);
    expect(RolesView.parse((await call('GET', '/v1/roles', b)).json()).roles.map((role) => role.name)).toEqual(['admin', 'operator', 'viewer']);
    for (const body of [
      { roles: [{ name: 'admin', permissions: ['telemetry:read'] }] },
      { roles: [{ name: 'x', permissions: ['telemetry:read'] }] },
      { roles: [{ name: 'noc', permissions: ['telemetry:delete'] }] },
      { roles: [{ name: 'noc', permissions: [] }] },
      { roles: [{ name: 'noc', permissions: ['tests:read'] }, { name: 'noc', permissions: ['tests:read'] }] },
    ]) {
      expect((await call('PUT', '/v1/roles', a, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('maps groups to roles that exist, and will not drop a role a mapping uses', async () => {
    await call('PUT', '/v1/roles', a, { roles: [{ name: 'noc', permissions: ['telemetry:read'] }] });
    const mappings = { mappings: [{ group: 'acme-admins', role: 'admin' }, { group: 'acme-noc', role: 'noc' }, { group: 'acme-noc', role: 'noc' }] };
    const put = await call('PUT', '/v1/directory/role-mappings', a, mappings);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ mappings: [{ group: 'acme-admins', role: 'admin' }, { group: 'acme-noc', role: 'noc' }] });
    expect((await call('GET', '/v1/directory/role-mappings', b)).json()).toEqual({ mappings: [] });
    const unknown = await call('PUT', '/v1/directory/role-mappings', a, { mappings: [{ group: 'x', role: 'ghost' }] });
    expect(unknown.statusCode).toBe(400);
    expect((await call('PUT', '/v1/directory/role-mappings', a, { mappings: [{ group: 'nul\u0000group', role: 'admin' }] })).statusCode).toBe(400);
    expect((await call('POST', '/v1/directory/scim-tokens', a, { name: 'nul\u0000name' })).statusCode).toBe(400);
    expect((await call('PUT', '/v1/roles', a, { roles: [] })).statusCode).toBe(409);
    const ledger = (await call('GET', '/v1/audit?event_type=ROLE_MAPPINGS_CHANGED', a)).json<{ items: unknown[] }>();
    expect(ledger.items).toHaveLength(1);
  });
});
