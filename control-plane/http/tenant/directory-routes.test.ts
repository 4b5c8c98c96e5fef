import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RolesView, ScimTokenCreated, ScimTokenView } from '../../../contracts/tenant-directory';
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
