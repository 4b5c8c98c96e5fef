import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InclusionProofView, LedgerVerifyView } from '../../../contracts/audit';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { verifyInclusion } from '../../audit/merkle';
import { hashToken } from '../../auth/tokens';

type Headers = { authorization: string };

describe('tenant plane: admin tokens, own profile, own ledger', () => {
  let t: TestApp;
  let admin: Headers;
  const issued: string[] = [];

  beforeEach(async () => {
    issued.length = 0;
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  async function tenantWithToken(slug: string, isolation_model: 'pooled' | 'siloed' | 'hybrid' = 'pooled'): Promise<{ id: string; headers: Headers }> {
    const created = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug, name: slug, isolation_model } });
    expect(created.statusCode).toBe(201);
    const token = await t.app.inject({ method: 'POST', url: `/provider/v1/tenants/${slug}/admin-tokens`, headers: admin, payload: { expires_in_seconds: 3600 } });
    expect(token.statusCode).toBe(201);
    const body = token.json<{ id: string; token: string; expires_at: string }>();
    expect(body.token).toMatch(/^bht_[A-Za-z0-9_-]{43}$/);
    issued.push(body.token);
    return { id: created.json<{ id: string }>().id, headers: { authorization: `Bearer ${body.token}` } };
  }

  const get = (url: string, headers: Headers) => t.app.inject({ method: 'GET', url, headers });

  it.each(['pooled', 'siloed', 'hybrid'] as const)('a %s tenant-admin token reads its own profile and ledger, never another tenant\'s', async (model) => {
    const a = await tenantWithToken('tenant-a', model);
    const b = await tenantWithToken('tenant-b', model);
    expect((await get('/v1/tenant', a.headers)).json()).toMatchObject({ id: a.id, slug: 'tenant-a' });
    expect((await get('/v1/tenant', b.headers)).json()).toMatchObject({ id: b.id, slug: 'tenant-b' });
    const ledgerA = (await get('/v1/audit', a.headers)).json<{ items: { tenant_id: string; event_type: string }[] }>();
    expect(ledgerA.items.map((entry) => entry.event_type)).toEqual(['TENANT_ADMIN_TOKEN_CREATED', 'TENANT_CREATED']);
    expect(ledgerA.items.every((entry) => entry.tenant_id === a.id)).toBe(true);
    // Tenant A's token against B's ids: there is no route that takes another tenant, and provider routes refuse it.
    for (const url of [`/provider/v1/tenants/${b.id}`, '/provider/v1/tenants', `/provider/v1/audit?tenant=${b.id}`]) {
      expect((await get(url, a.headers)).statusCode, url).toBe(401);
    }
  });

  it('keeps a siloed tenant\'s tokens in its silo, not in the shared store', async () => {
    const silo = await tenantWithToken('silo-co', 'siloed');
    expect(await t.engine.tokenRows(silo.id)).toEqual({ shared: 0, own: 1 });
    const pooled = await tenantWithToken('pooled-co', 'pooled');
    expect(await t.engine.tokenRows(pooled.id)).toEqual({ shared: 1, own: 0 });
  });

  it('the tenant ledger verifies and gives inclusion proofs', async () => {
    const a = await tenantWithToken('tenant-a');
    const verify = LedgerVerifyView.parse((await get('/v1/audit/verify', a.headers)).json());
    expect(verify).toMatchObject({ ok: true, size: 2 });
    const proof = InclusionProofView.parse((await get('/v1/audit/proof/1', a.headers)).json());
    expect(proof.tree_size).toBe(2);
    expect(verifyInclusion(Buffer.from(proof.leaf_hash, 'hex'), proof.leaf_index, proof.tree_size, proof.audit_path.map((hash) => Buffer.from(hash, 'hex')), Buffer.from(verify.root ?? '', 'hex'))).toBe(true);
    expect((await get('/v1/audit/proof/3', a.headers)).statusCode).toBe(404);
    expect((await get('/v1/audit/proof/0', a.headers)).statusCode).toBe(400);
  });

  it('refuses expired, unknown and malformed tokens (401), suspended tenants (403 tenant_suspended), deleted ones (401)', async () => {
    const a = await tenantWithToken('tenant-a');
    const b = await tenantWithToken('tenant-b');
    await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/tenant-b', headers: admin });
    expect((await get('/v1/tenant', b.headers)).statusCode).toBe(401);
    expect((await get('/v1/tenant', { authorization: 'Bearer bht_' + 'x'.repeat(43) })).statusCode).toBe(401);
    expect((await get('/v1/tenant', { authorization: 'Basic abc' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant' })).statusCode).toBe(401);
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/suspend', headers: admin, payload: { reason: 'billing' } });
    const suspended = await get('/v1/tenant', a.headers);
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json()).toMatchObject({ error: { code: 'tenant_suspended' } });
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/resume', headers: admin, payload: { reason: 'paid' } });
    expect((await get('/v1/tenant', a.headers)).statusCode).toBe(200);
    t.clock.advance(3601);
    const expired = await get('/v1/tenant', a.headers);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ error: { code: 'session_expired' } });
  });

  it('issues tokens only to active tenants, with a bounded lifetime', async () => {
    await tenantWithToken('tenant-a');
    const tooLong = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/admin-tokens', headers: admin, payload: { expires_in_seconds: 10 ** 9 } });
    expect(tooLong.statusCode).toBe(400);
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/suspend', headers: admin, payload: { reason: 'x' } });
    const suspended = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/admin-tokens', headers: admin, payload: { expires_in_seconds: 60 } });
    expect(suspended.statusCode).toBe(409);
    expect(suspended.json()).toMatchObject({ error: { code: 'tenant_suspended' } });
  });

  it('stores only hashes: no issued token plaintext is anywhere in the data dir', async () => {
    await tenantWithToken('tenant-a', 'siloed');
    await tenantWithToken('tenant-b', 'hybrid');
    await tenantWithToken('tenant-c', 'pooled');
    await t.app.close();
    const contents = await t.engine.rawContents();
    expect(contents.length).toBeGreaterThan(0);
    for (const token of issued) {
      for (const content of contents) {
        expect(content.includes(token), 'a stored token in plaintext').toBe(false);
      }
      // The stored form is there: its hash.
      expect(contents.some((content) => content.includes(hashToken(token)))).toBe(true);
    }
  });
});

describe('no implicit access: operator tokens on the tenant plane', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  it('every route of the tenant plane, enumerated from the route table, answers 403 no_implicit_access to an operator', async () => {
    const admin = await t.adminHeaders();
    const created = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: 'acme', name: 'Acme' } });
    const tenantId = created.json<{ id: string }>().id;
    const tenantRoutes = t.app.routeTable.filter((route) => route.plane === 'tenant');
    // The table must hold the tenant plane's routes, or this test would pass on nothing. Without a
    // break-glass grant, the telemetry reads are refused to an operator like every other route.
    expect(tenantRoutes.map((route) => `${route.method} ${route.url}`)).toEqual(
      expect.arrayContaining([
        'GET /v1/tenant',
        'GET /v1/audit',
        'GET /v1/audit/verify',
        'GET /v1/telemetry/results',
        'GET /v1/telemetry/flows',
        'GET /v1/telemetry/summary',
        'POST /v1/insights',
        'GET /v1/break-glass',
        'POST /v1/break-glass/:id/approve',
        'PUT /v1/break-glass/settings',
      ]),
    );
    for (const route of tenantRoutes) {
      const url = route.url.replace(/:([a-z_]+)/g, (_match, name: string) => (name === 'seq' ? '1' : tenantId));
      const response = await t.app.inject({ method: route.method as 'GET', url, headers: admin, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }) });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json(), `${route.method} ${route.url}`).toMatchObject({ error: { code: 'no_implicit_access' } });
    }
  });

  it('derives the plane from the URL, so no tenant-plane route can be registered as something else', () => {
    for (const route of t.app.routeTable) {
      if (route.url.startsWith('/v1/') || route.url.startsWith('/scim/v2') || route.url.startsWith('/agent/v1/')) {
        expect(route.plane, route.url).toBe('tenant');
      }
    }
  });

  it('holds no provider permission that reaches tenant data', async () => {
    const { providerPermissions } = await import('../../auth/permissions');
    for (const permission of providerPermissions) {
      expect(permission).not.toMatch(/^(telemetry|users|scim|directory|agents|tests)(:|$)/);
    }
  });
});
