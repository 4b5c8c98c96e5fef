import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Tenant } from '../../../contracts/tenants';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { licenseText, mintLicense, testSigner } from '../../../test/helpers/startup-fixtures';
import { testEngine } from '../../../test/helpers/test-engine';

type Headers = { authorization: string };

async function appWithLicense(overrides: { tier?: 'standard' | 'isolation'; tenant_band?: number } = {}): Promise<TestApp> {
  const signer = testSigner();
  return buildTestApp({ licenseText: licenseText(mintLicense(signer, overrides, new Date('2026-11-22T00:00:00Z'))), licenseTrust: signer.trust });
}

describe('provider plane: tenants', () => {
  let t: TestApp;
  let admin: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Headers = admin) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  const create = async (body: object) => {
    const response = await call('POST', '/provider/v1/tenants', body);
    expect(response.statusCode, response.body).toBe(201);
    return Tenant.parse(response.json());
  };

  it('creates a pooled tenant by default: 201 with id first, counts and default quotas', async () => {
    const response = await call('POST', '/provider/v1/tenants', { slug: 'acme', name: 'Acme Corp', contact_email: 'ops@acme.example' });
    expect(response.statusCode).toBe(201);
    expect(Object.keys(response.json<object>())[0]).toBe('id');
    const tenant = Tenant.parse(response.json());
    expect(tenant).toMatchObject({ slug: 'acme', isolation_model: 'pooled', state: 'active', residency: null, counts: { agents: 0, users: 0, tests: 0 } });
    expect(await t.engine.ownStoreExists(tenant.id)).toBe(false);
  });

  it('creates the own store of a siloed tenant (all tables) and of a hybrid one (telemetry) before answering 201; residency is kept', async () => {
    const siloed = await create({ slug: 'siloed-co', name: 'Siloed', isolation_model: 'siloed', residency: 'eu' });
    const hybrid = await create({ slug: 'hybrid-co', name: 'Hybrid', isolation_model: 'hybrid', residency: 'us-east' });
    expect(siloed.residency).toBe('eu');
    expect(await t.engine.ownStoreExists(siloed.id)).toBe(true);
    expect(await t.engine.ownStoreExists(hybrid.id)).toBe(true);
    // Migrated: the silo holds every tenant table, the hybrid store the telemetry tables; all keep tenant_id.
    const siloTables = await t.engine.ownStoreTables(siloed.id);
    expect(siloTables.map((table) => table.table)).toEqual(expect.arrayContaining(['agents', 'tenant_users', 'probe_tests', 'tenant_tokens', 'telemetry_chunks']));
    expect(siloTables.every((table) => table.hasTenantId)).toBe(true);
    const hybridTables = await t.engine.ownStoreTables(hybrid.id);
    // Both engines pack results in chunks; SQLite also keys tests and tenants by integers of the file.
    expect(hybridTables.map((table) => table.table).toSorted()).toEqual(
      testEngine === 'sqlite' ? ['telemetry_batches', 'telemetry_chunks', 'telemetry_series', 'telemetry_tenants', 'usage_counters'] : ['telemetry_batches', 'telemetry_chunks', 'usage_counters'],
    );
    expect(hybridTables.every((table) => table.hasTenantId)).toBe(true);
  });

  it.each([
    ['Acme', 'uppercase'],
    ['ab', 'too short'],
    ['a'.repeat(64), 'too long'],
    ['-acme', 'leading dash'],
    ['acme-', 'trailing dash'],
    ['ac_me', 'underscore'],
    ['acme.io', 'dot'],
    ['www', 'reserved'],
  ])('refuses the slug %j (%s) with 400 invalid_slug', async (slug) => {
    const response = await call('POST', '/provider/v1/tenants', { slug, name: 'X' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_slug' } });
  });

  it('refuses a taken slug with 409 slug_taken and leaves no silo behind', async () => {
    await create({ slug: 'acme', name: 'Acme' });
    const response = await call('POST', '/provider/v1/tenants', { slug: 'acme', name: 'Other', isolation_model: 'siloed' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: { code: 'slug_taken' } });
    expect(await t.engine.ownStores()).toEqual([]);
  });

  it('rejects unknown fields, wrong types and bad emails with 400 invalid_request naming the path', async () => {
    const cases: [object, string][] = [
      [{ slug: 'acme', name: 'A', owner: 'x' }, 'owner'],
      [{ slug: 'acme', name: 42 }, 'name'],
      [{ slug: 'acme', name: 'A', isolation_model: 'shared' }, 'isolation_model'],
      [{ slug: 'acme', name: 'A', contact_email: 'not-an-email' }, 'contact_email'],
      [{ slug: 'acme', name: 'A', quotas: { max_agents: -1 } }, 'quotas.max_agents'],
      [{ slug: 'acme', name: 'A\u0000B' }, 'name'],
    ];
    for (const [body, path] of cases) {
      const response = await call('POST', '/provider/v1/tenants', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_request', details: { issues: [expect.objectContaining({ path })] } } });
    }
  });

  it('gets a tenant by id or slug, and 404s for anything else', async () => {
    const tenant = await create({ slug: 'acme', name: 'Acme' });
    expect((await call('GET', `/provider/v1/tenants/${tenant.id}`)).json()).toMatchObject({ slug: 'acme' });
    expect((await call('GET', '/provider/v1/tenants/acme')).json()).toMatchObject({ id: tenant.id });
    for (const ref of ['nope-nope', '00000000-0000-4000-8000-000000000000', 'a'.repeat(90)]) {
      const response = await call('GET', `/provider/v1/tenants/${ref}`);
      expect(response.statusCode, ref).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const nul = await call('GET', '/provider/v1/tenants/%00');
    expect(nul.statusCode).toBe(400);
    expect(nul.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const tooLong = await call('GET', `/provider/v1/tenants/${'a'.repeat(150)}`);
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const badEncoding = await call('GET', '/provider/v1/tenants/%E0%A4%A');
    expect(badEncoding.statusCode).toBe(400);
    expect(badEncoding.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('lists with paging (limit, opaque cursor) and a state filter', async () => {
    for (const slug of ['t-one', 't-two', 't-three']) {
      await create({ slug, name: slug });
      t.clock.advance(1);
    }
    await call('POST', '/provider/v1/tenants/t-two/suspend', { reason: 'test' });
    const first = (await call('GET', '/provider/v1/tenants?limit=2')).json<{ items: Tenant[]; next_cursor: string | null }>();
    expect(first.items.map((tenant) => tenant.slug)).toEqual(['t-one', 't-two']);
    expect(first.next_cursor).not.toBeNull();
    const second = (await call('GET', `/provider/v1/tenants?limit=2&cursor=${encodeURIComponent(first.next_cursor ?? '')}`)).json<{ items: Tenant[]; next_cursor: string | null }>();
    expect(second.items.map((tenant) => tenant.slug)).toEqual(['t-three']);
    expect(second.next_cursor).toBeNull();
    const suspended = (await call('GET', '/provider/v1/tenants?state=suspended')).json<{ items: Tenant[] }>();
    expect(suspended.items.map((tenant) => tenant.slug)).toEqual(['t-two']);
    for (const query of ['limit=0', 'limit=1001', 'state=gone', 'cursor=%%%', 'cursor=bm9wZQ', 'extra=1']) {
      expect((await call('GET', `/provider/v1/tenants?${query}`)).statusCode, query).toBe(400);
    }
  });

  it('patches name, plan and contact; the slug is immutable', async () => {
    await create({ slug: 'acme', name: 'Acme' });
    const patched = await call('PATCH', '/provider/v1/tenants/acme', { name: 'Acme Corp', plan: 'gold', contact_email: 'it@acme.example' });
    expect(patched.json()).toMatchObject({ name: 'Acme Corp', plan: 'gold', contact_email: 'it@acme.example' });
    const cleared = await call('PATCH', '/provider/v1/tenants/acme', { plan: null });
    expect(cleared.json()).toMatchObject({ plan: null, name: 'Acme Corp' });
    const slug = await call('PATCH', '/provider/v1/tenants/acme', { slug: 'acme2' });
    expect(slug.statusCode).toBe(400);
    expect(slug.json()).toMatchObject({ error: { code: 'slug_immutable' } });
  });

  it('suspends and resumes with a reason; wrong-state transitions are 409', async () => {
    await create({ slug: 'acme', name: 'Acme' });
    expect((await call('POST', '/provider/v1/tenants/acme/suspend', {})).statusCode).toBe(400);
    expect((await call('POST', '/provider/v1/tenants/acme/suspend', { reason: 'unpaid invoice' })).json()).toMatchObject({ state: 'suspended' });
    expect((await call('POST', '/provider/v1/tenants/acme/suspend', { reason: 'again' })).statusCode).toBe(409);
    expect((await call('POST', '/provider/v1/tenants/acme/resume', { reason: 'paid' })).json()).toMatchObject({ state: 'active' });
    expect((await call('POST', '/provider/v1/tenants/acme/resume', { reason: 'again' })).statusCode).toBe(409);
  });

  it('deletes: state deleted, its stores removed, its key destroyed, further changes refused, the ledgers kept', async () => {
    const tenant = await create({ slug: 'acme', name: 'Acme', isolation_model: 'siloed' });
    const wrappedBefore = await t.engine.wrappedKey(tenant.id);
    expect(wrappedBefore).not.toBeNull();
    expect((await call('DELETE', '/provider/v1/tenants/acme')).statusCode).toBe(204);
    expect((await call('GET', '/provider/v1/tenants/acme')).json()).toMatchObject({ state: 'deleted' });
    expect(await t.engine.ownStoreExists(tenant.id)).toBe(false);
    expect(await t.engine.wrappedKey(tenant.id)).toBeNull();
    // Crypto-shred: the wrapped key's bytes are nowhere in what the engine stores any more.
    for (const content of await t.engine.rawContents()) {
      expect(content.includes(wrappedBefore ?? Buffer.alloc(0))).toBe(false);
    }
    expect((await call('PATCH', '/provider/v1/tenants/acme', { name: 'x' })).json()).toMatchObject({ error: { code: 'tenant_deleted' } });
    expect((await call('DELETE', '/provider/v1/tenants/acme')).statusCode).toBe(409);
    const audit = (await call('GET', `/provider/v1/audit?tenant=${tenant.id}`)).json<{ items: { event_type: string }[] }>();
    expect(audit.items.map((entry) => entry.event_type)).toEqual(['TENANT_DELETED', 'TENANT_CREATED']);
  });

  it('serves and sets quotas; lowering them changes nothing else; QUOTA_CHANGED is ledgered', async () => {
    await create({ slug: 'acme', name: 'Acme', quotas: { max_agents: 10 } });
    expect((await call('GET', '/provider/v1/tenants/acme/quotas')).json()).toMatchObject({ max_agents: 10, max_users: 50 });
    const quotas = { max_agents: 1, max_users: 2, max_tests: 3, storage_quota_mb: 4, api_rate_limit_rpm: 5 };
    expect((await call('PUT', '/provider/v1/tenants/acme/quotas', quotas)).json()).toEqual(quotas);
    expect((await call('GET', '/provider/v1/tenants/acme')).json()).toMatchObject({ quotas, state: 'active' });
    expect((await call('PUT', '/provider/v1/tenants/acme/quotas', { max_agents: 1 })).statusCode).toBe(400);
    const audit = (await call('GET', '/provider/v1/audit?event_type=QUOTA_CHANGED')).json<{ items: { details: unknown }[] }>();
    expect(audit.items[0]?.details).toMatchObject({ to: quotas });
  });

  it('answers the license with the band and tenants in use (deleted ones free their place)', async () => {
    await create({ slug: 'acme', name: 'Acme' });
    await create({ slug: 'beta', name: 'Beta' });
    await call('DELETE', '/provider/v1/tenants/beta');
    expect((await call('GET', '/provider/v1/license')).json()).toEqual({
      licensee: 'Bulkhead evaluation',
      tier: 'isolation',
      tenant_band: 25,
      tenants_used: 1,
      expires_at: '2031-12-31T23:59:59.000Z',
    });
  });

  it('refuses without a session (401) and by role (403), with billing_viewer limited to license, tenant list and usage', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants' })).statusCode).toBe(401);
    const billing = await t.operatorHeaders('billing', ['billing_viewer']);
    expect((await call('GET', '/provider/v1/tenants', undefined, billing)).statusCode).toBe(200);
    expect((await call('GET', '/provider/v1/license', undefined, billing)).statusCode).toBe(200);
    const denied = await call('POST', '/provider/v1/tenants', { slug: 'acme', name: 'A' }, billing);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { code: 'forbidden', details: { permission: 'tenants:write' } } });
    const ops = await t.operatorHeaders('ops', ['provider_operator']);
    expect((await call('POST', '/provider/v1/tenants', { slug: 'acme', name: 'A' }, ops)).statusCode).toBe(201);
    expect((await call('GET', '/provider/v1/operators', undefined, ops)).statusCode).toBe(403);
  });
});

describe('provider plane: license band and tier', () => {
  it('refuses past the band with 409 tenant_band_exhausted and leaves existing tenants untouched', async () => {
    const t = await appWithLicense({ tenant_band: 2 });
    try {
      const admin = await t.adminHeaders();
      for (const slug of ['one-co', 'two-co']) {
        expect((await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug, name: slug } })).statusCode).toBe(201);
      }
      const before = (await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: admin })).json<unknown>();
      const refused = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: 'three-co', name: 'Three', isolation_model: 'siloed' } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ error: { code: 'tenant_band_exhausted', details: { tenant_band: 2, tenants_used: 2 } } });
      expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: admin })).json()).toEqual(before);
      expect(await t.engine.ownStores()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('answers 503 license_invalid, not 500, to a create once the license has expired while the server runs', async () => {
    const signer = testSigner();
    const t = await buildTestApp({
      licenseText: licenseText(mintLicense(signer, { expires_at: '2026-11-22T11:00:00.000Z' }, new Date('2026-11-22T00:00:00Z'))),
      licenseTrust: signer.trust,
    });
    try {
      const admin = await t.adminHeaders();
      expect((await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: 'before-co', name: 'Before' } })).statusCode).toBe(201);
      t.clock.advance(2 * 3600);
      const late = await t.freshAdminHeaders();
      for (const isolation_model of ['pooled', 'siloed']) {
        const refused = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: late, payload: { slug: `after-${isolation_model}`, name: 'After', isolation_model } });
        expect(refused.statusCode, refused.body).toBe(503);
        expect(refused.json()).toMatchObject({ error: { code: 'license_invalid' } });
      }
      expect(await t.engine.ownStores()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses siloed and hybrid on a standard license with 403 tier_required; pooled still works', async () => {
    const t = await appWithLicense({ tier: 'standard' });
    try {
      const admin = await t.adminHeaders();
      for (const isolation_model of ['siloed', 'hybrid']) {
        const response = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: `co-${isolation_model}`, name: 'X', isolation_model } });
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ error: { code: 'tier_required' } });
      }
      expect((await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: 'pooled-co', name: 'X' } })).statusCode).toBe(201);
    } finally {
      await t.close();
    }
  });
});
