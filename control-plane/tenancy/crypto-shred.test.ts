import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantLedger } from '../audit/ledger-ids';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Deleting a tenant destroys its data key, and with it everything its ledger said of people: user
 * names, emails and external ids are sealed with that key in the ledger's own entries, so after
 * the delete no byte of the engine holds them in clear, while both ledgers still verify.
 */
describe('crypto-shred reaches the ledgers', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  it.each(['pooled', 'siloed', 'hybrid'] as const)('a deleted %s tenant leaves no plaintext name, email or external id anywhere', async (model) => {
    const admin = await t.ownedTenantHeaders('shredded', model);
    const scimToken = (await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: admin, payload: { name: 'idp' } })).json<{ token: string }>().token;
    const scim = (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: object) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${scimToken}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const people = ['grace.hopper@shredded.test', 'grace-external-4471', 'ada.lovelace@shredded.test'];
    const grace = await scim('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: people[0], externalId: people[1], emails: [{ value: people[0], primary: true }], active: true });
    expect(grace.statusCode).toBe(201);
    const graceId = grace.json<{ id: string }>().id;
    expect((await scim('PATCH', `/scim/v2/Users/${graceId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] })).statusCode).toBe(200);
    const ada = await scim('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: people[2], active: true });
    expect((await scim('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'analysts', members: [{ value: ada.json<{ id: string }>().id }] })).statusCode).toBe(201);
    expect((await scim('DELETE', `/scim/v2/Users/${ada.json<{ id: string }>().id}`)).statusCode).toBe(204);
    // A person signed in and acted (the actor of a tenant user names its id, not its name).
    const person = await t.tenantUserHeaders(admin, 'admin');
    expect((await t.app.inject({ method: 'PUT', url: '/v1/break-glass/settings', headers: person, payload: { required_approvals: 2 } })).statusCode).toBe(200);
    // While the tenant lives, its ledger names them for the tenant (opened with its key).
    const ledger = (await t.app.inject({ method: 'GET', url: '/v1/audit?limit=1000', headers: admin })).json<{ items: { personal?: Record<string, unknown> | null }[] }>();
    expect(ledger.items.map((entry) => entry.personal?.user_name)).toEqual(expect.arrayContaining([people[0], people[2]]));
    const before = Buffer.concat(await t.engine.rawContents());
    expect(people.some((value) => before.includes(Buffer.from(value)))).toBe(true);

    const operator = await t.adminHeaders();
    expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/shredded', headers: operator })).statusCode).toBe(204);
    const after = Buffer.concat(await t.engine.rawContents());
    for (const value of people) expect(after.includes(Buffer.from(value)), value).toBe(false);
    // Both ledgers still verify: their leaves hash the sealed bytes.
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/audit/verify', headers: operator })).json()).toMatchObject({ ok: true });
    const storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    try {
      const tenant = await storage.tenants.bySlug('shredded');
      if (tenant === null) throw new Error('tenant row missing');
      const verified = await storage.ledgers.verify(tenantLedger(tenant.id));
      expect(verified.ok).toBe(true);
      expect(verified.size).toBeGreaterThan(5);
    } finally {
      await storage.close();
    }
  });
});
