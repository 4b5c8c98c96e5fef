import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import {
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_RESPONSE,
  ledgerEvents,
  ledgerVerifies,
  PATCH_OP,
  scimCall,
  scimTenant,
  USER_SCHEMA,
  type Method,
  type ScimErrorBody,
  type ScimList,
  type ScimResource,
  type ScimTenant,
} from '../../../test/helpers/scim-fixtures';

describe('SCIM 2.0 server (/scim/v2)', () => {
  let t: TestApp;
  let tenant: ScimTenant;

  beforeEach(async () => {
    t = await buildTestApp();
    tenant = await scimTenant(t, 'scim-acme', 'siloed');
  });

  afterEach(async () => {
    await t.close();
  });

  const scim = (method: Method, url: string, body?: unknown, contentType?: string) => scimCall(t, method, `/scim/v2${url}`, tenant.scim, body, contentType);

  function scimError(response: LightMyRequestResponse, status: number, scimType?: string): ScimErrorBody {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = response.json<ScimErrorBody>();
    expect(body.schemas).toEqual([ERROR_SCHEMA]);
    expect(body.status).toBe(String(status));
    expect(typeof body.detail).toBe('string');
    if (scimType === undefined) {
      expect(body).not.toHaveProperty('scimType');
    } else {
      expect(body.scimType).toBe(scimType);
    }
    return body;
  }

  async function createUser(userName: string, more: Record<string, unknown> = {}): Promise<ScimResource> {
    const response = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName, ...more });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<ScimResource>();
  }

  async function createGroup(displayName: string, members: string[] = []): Promise<ScimResource> {
    const response = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<ScimResource>();
  }

  const listOf = async (url: string) => {
    const response = await scim('GET', url);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ScimList>();
    expect(body.schemas).toEqual([LIST_RESPONSE]);
    expect(body.itemsPerPage).toBe(body.Resources.length);
    return body;
  };

  const userNames = async (filter: string) => (await listOf(`/Users?filter=${encodeURIComponent(filter)}`)).Resources.map((user) => user.userName).sort();

  describe('discovery', () => {
    it('serves ServiceProviderConfig, ResourceTypes and Schemas', async () => {
      const config = await scim('GET', '/ServiceProviderConfig');
      expect(config.statusCode).toBe(200);
      expect(config.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(config.json()).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 1000 },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: true },
        authenticationSchemes: [{ type: 'oauthbearertoken' }],
      });
      const types = await listOf('/ResourceTypes');
      expect(types.Resources.map((type) => [type.id, type.endpoint, type.schema])).toEqual([
        ['User', '/Users', USER_SCHEMA],
        ['Group', '/Groups', GROUP_SCHEMA],
      ]);
      expect((await scim('GET', '/ResourceTypes/User')).json()).toMatchObject({ id: 'User', endpoint: '/Users' });
      const schemas = await listOf('/Schemas');
      expect(schemas.Resources.map((schema) => schema.id)).toEqual([USER_SCHEMA, GROUP_SCHEMA]);
      const user = schemas.Resources[0] as unknown as { attributes: { name: string; caseExact: boolean; uniqueness: string; mutability: string }[] };
      expect(user.attributes.find((attribute) => attribute.name === 'userName')).toMatchObject({ caseExact: false, uniqueness: 'server' });
      expect(user.attributes.find((attribute) => attribute.name === 'groups')).toMatchObject({ mutability: 'readOnly' });
      expect((await scim('GET', `/Schemas/${GROUP_SCHEMA}`)).json()).toMatchObject({ id: GROUP_SCHEMA, name: 'Group' });
      scimError(await scim('GET', '/Schemas/urn:nope'), 404);
      scimError(await scim('GET', '/Nowhere'), 404);
    });
  });

  describe('authentication', () => {
    it('takes the SCIM token only: none, an admin token (bht_), a revoked SCIM token and a foreign string are 401 in the SCIM error schema', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/scim/v2/Users' });
      expect(scimError(none, 401).detail).toMatch(/unauthorized/);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      scimError(await t.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: tenant.admin }), 401);
      scimError(await t.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig', headers: tenant.admin }), 401);
      scimError(await t.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...tenant.admin, 'content-type': 'application/scim+json' }, payload: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'x' }) }), 401);
      scimError(await t.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: 'Bearer bhs_not-a-real-token-at-all' } }), 401);

      expect((await scim('GET', '/Users')).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'DELETE', url: `/v1/directory/scim-tokens/${tenant.scimTokenId}`, headers: tenant.admin })).statusCode).toBe(204);
      scimError(await scim('GET', '/Users'), 401);
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'after.revoke' }), 401);
    });

    it('an operator session gets 403 no_implicit_access, as everywhere on the tenant plane', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: await t.adminHeaders() });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('no_implicit_access');
    });
  });

  describe('users', () => {
    it('accepts application/scim+json and application/json bodies, and refuses other media types with 415', async () => {
      expect((await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'scim.json' }, 'application/scim+json; charset=utf-8')).statusCode).toBe(201);
      expect((await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'plain.json' }, 'application/json')).statusCode).toBe(201);
      scimError(await scim('POST', '/Users', 'userName=x', 'application/x-www-form-urlencoded'), 415);
    });

    it('creates with 201, Location and meta; reads it back with its ETag; ids of nothing are 404', async () => {
      const response = await scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: 'Alice@Example.com',
        externalId: 'ext-1',
        name: { givenName: 'Alice', familyName: 'Liddell' },
        displayName: 'Alice',
        emails: [{ value: 'alice@example.com', type: 'work', primary: 'True' }],
      });
      expect(response.statusCode).toBe(201);
      const user = response.json<ScimResource>();
      expect(Object.keys(user)[0]).toBe('schemas');
      expect(user).toMatchObject({ schemas: [USER_SCHEMA], userName: 'Alice@Example.com', active: true, emails: [{ value: 'alice@example.com', type: 'work', primary: true }] });
      expect(user.meta).toEqual({ resourceType: 'User', created: user.meta.created, lastModified: user.meta.created, location: response.headers.location, version: 'W/"1"' });
      expect(user.meta.location).toBe(`http://localhost:80/scim/v2/Users/${user.id}`);
      const read = await scim('GET', `/Users/${user.id}`);
      expect(read.json()).toEqual(user);
      expect(read.headers.etag).toBe('W/"1"');
      scimError(await scim('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404);
      scimError(await scim('GET', '/Users/not-a-uuid'), 404);
      scimError(await scim('DELETE', '/Users/not-a-uuid'), 404);
      scimError(await scim('PATCH', '/Users/00000000-0000-4000-8000-000000000000', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }), 404);
    });

    it('userName is unique regardless of case: 409 uniqueness on create and on rename', async () => {
      await createUser('bob@example.com');
      const bob2 = await createUser('bob2@example.com');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'BOB@example.com' }), 409, 'uniqueness');
      scimError(await scim('PATCH', `/Users/${bob2.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'Bob@Example.COM' }] }), 409, 'uniqueness');
      scimError(await scim('PUT', `/Users/${bob2.id}`, { schemas: [USER_SCHEMA], userName: 'bob@EXAMPLE.com' }), 409, 'uniqueness');
      // A user may change the case of its own userName.
      const recased = await scim('PATCH', `/Users/${bob2.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'BOB2@example.com' }] });
      expect(recased.json()).toMatchObject({ userName: 'BOB2@example.com' });
    });

    it('refuses bad bodies with 400 and the right scimType, never 500', async () => {
      scimError(await scim('POST', '/Users', '{"schemas": [', 'application/scim+json'), 400, 'invalidSyntax');
      scimError(await scim('POST', '/Users', '[]', 'application/json'), 400, 'invalidSyntax');
      scimError(await scim('POST', '/Users', { userName: 'no.schemas' }), 400, 'invalidSyntax');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA] }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 42 }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'x', active: 'maybe' }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'x', name: 'Alice' }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'x', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: true }] }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'x'.repeat(300) }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'nul\u0000byte' }), 400, 'invalidValue');
      scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'ok', emails: [{ value: 'a@b', type: 'wo\u0000rk' }] }), 400, 'invalidValue');
      scimError(await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'g\u0000' }), 400, 'invalidValue');
      const user = await createUser('patch.target');
      const patch = (operations: unknown, schemas: unknown = [PATCH_OP]) => scim('PATCH', `/Users/${user.id}`, { schemas, Operations: operations });
      scimError(await patch([{ op: 'replace', path: 'active', value: false }], ['urn:wrong']), 400, 'invalidSyntax');
      scimError(await patch([]), 400, 'invalidSyntax');
      scimError(await patch([{ op: 'move', path: 'active', value: false }]), 400, 'invalidSyntax');
      scimError(await patch([{ op: 'remove' }]), 400, 'noTarget');
      scimError(await patch([{ op: 'replace', path: 'emails[type eq "work" and primary eq true].value', value: 'x@y' }]), 400, 'noTarget');
      scimError(await patch([{ op: 'replace', path: 'id', value: '00000000-0000-4000-8000-000000000000' }]), 400, 'mutability');
      scimError(await patch([{ op: 'add', path: 'groups', value: [{ value: 'x' }] }]), 400, 'mutability');
      scimError(await patch([{ op: 'replace', path: 'meta.version', value: 'W/"9"' }]), 400, 'mutability');
      scimError(await patch([{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }]), 400, 'invalidPath');
      scimError(await patch([{ op: 'replace', path: 'emails[type zz "work"].value', value: 'x' }]), 400, 'invalidFilter');
      scimError(await patch([{ op: 'remove', path: 'userName' }]), 400, 'invalidValue');
      scimError(await patch([{ op: 'replace', path: 'active', value: 7 }]), 400, 'invalidValue');
      // Nothing of that changed the user.
      expect((await scim('GET', `/Users/${user.id}`)).json()).toEqual(user);
    });

    it('PATCH: add, replace and remove with and without paths; a new primary e-mail demotes the old one', async () => {
      const user = await createUser('carol', { emails: [{ value: 'carol@work.example', type: 'work', primary: true }] });
      const patched = await scim('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'add', path: 'emails', value: [{ value: 'carol@home.example', type: 'home', primary: true }] },
          { op: 'ADD', value: { displayName: 'Carol', 'name.familyName': 'Danvers', externalId: 'c-1' } },
          { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', value: 'Carol' },
          { op: 'replace', path: 'title', value: 'Captain' },
          { op: 'Remove', path: 'externalId' },
        ],
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({
        displayName: 'Carol',
        name: { givenName: 'Carol', familyName: 'Danvers' },
        emails: [
          { value: 'carol@work.example', type: 'work', primary: false },
          { value: 'carol@home.example', type: 'home', primary: true },
        ],
      });
      expect(patched.json()).not.toHaveProperty('externalId');
      expect(patched.json()).not.toHaveProperty('title');
      const removed = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'emails[type eq "home"]' }, { op: 'remove', path: 'name' }] });
      expect(removed.json<ScimResource>().emails).toEqual([{ value: 'carol@work.example', type: 'work', primary: false }]);
      expect(removed.json()).not.toHaveProperty('name');
    });

    it('concurrent creations: one of several identical userNames wins, the rest are 409; the quota holds under a burst', async () => {
      const same = await Promise.all(Array.from({ length: 5 }, () => scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'race@example.com' })));
      expect(same.map((response) => response.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const response of same.filter((entry) => entry.statusCode === 409)) {
        scimError(response, 409, 'uniqueness');
      }
      const operator = await t.adminHeaders();
      const quotas = { max_agents: 10, max_users: 4, max_tests: 10, storage_quota_mb: 100, api_rate_limit_rpm: 600 };
      expect((await t.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${tenant.slug}/quotas`, headers: operator, payload: quotas })).statusCode).toBe(200);
      const burst = await Promise.all(Array.from({ length: 8 }, (_, index) => scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: `burst-${index}` })));
      expect(burst.filter((response) => response.statusCode === 201)).toHaveLength(3);
      expect(burst.filter((response) => response.statusCode === 429)).toHaveLength(5);
      expect((await listOf('/Users')).totalResults).toBe(4);
    });

    it('If-Match: a stale version is 412 and changes nothing; the current one passes', async () => {
      const user = await createUser('dave');
      const stale = await t.app.inject({
        method: 'PATCH',
        url: `/scim/v2/Users/${user.id}`,
        headers: { ...tenant.scim, 'content-type': 'application/scim+json', 'if-match': 'W/"7"' },
        payload: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'D' }] }),
      });
      scimError(stale, 412);
      const fresh = await t.app.inject({
        method: 'PATCH',
        url: `/scim/v2/Users/${user.id}`,
        headers: { ...tenant.scim, 'content-type': 'application/scim+json', 'if-match': user.meta.version },
        payload: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'D' }] }),
      });
      expect(fresh.statusCode).toBe(200);
      expect(fresh.headers.etag).toBe('W/"2"');
    });

    it('refuses a user past the max_users quota with 429, no scimType, the detail naming quota_exceeded', async () => {
      const operator = await t.adminHeaders();
      const quotas = { max_agents: 10, max_users: 2, max_tests: 10, storage_quota_mb: 100, api_rate_limit_rpm: 600 };
      expect((await t.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${tenant.slug}/quotas`, headers: operator, payload: quotas })).statusCode).toBe(200);
      await createUser('q1');
      const second = await createUser('q2');
      const refused = scimError(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'q3' }), 429);
      expect(refused.detail).toMatch(/^quota_exceeded: .*max_users/);
      expect((await listOf('/Users')).totalResults).toBe(2);
      // Deleting one makes room again.
      expect((await scim('DELETE', `/Users/${second.id}`)).statusCode).toBe(204);
      await createUser('q3');
      const events = (await ledgerEvents(t, tenant)).map((entry) => entry.event_type);
      expect(events.filter((event) => event === 'USER_PROVISIONED')).toHaveLength(3);
    });
  });

  describe('filters and paging', () => {
    beforeEach(async () => {
      await createUser('Alice@Example.com', { externalId: 'EXT-A', displayName: 'Alice Smith', emails: [{ value: 'alice@work.example', type: 'work' }] });
      await createUser('albert@example.com', { externalId: 'ext-b', emails: [{ value: 'albert@home.example', type: 'home' }] });
      await createUser('bob@other.example', { active: false, displayName: 'Bob' });
    });

    it('eq, co, sw, pr, and, or, not and parentheses, with RFC 7643 case rules', async () => {
      expect(await userNames('userName eq "alice@example.com"')).toEqual(['Alice@Example.com']);
      // Attribute names and userName values are case-insensitive; operators too.
      expect(await userNames('USERNAME EQ "ALICE@EXAMPLE.COM"')).toEqual(['Alice@Example.com']);
      // The same without the indexed lookup (an `or` is evaluated over every user).
      expect(await userNames('userName eq "ALICE@example.COM" or userName eq "nobody"')).toEqual(['Alice@Example.com']);
      expect(await userNames('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Alice@Example.com"')).toEqual(['Alice@Example.com']);
      // externalId is caseExact.
      expect(await userNames('externalId eq "EXT-A"')).toEqual(['Alice@Example.com']);
      expect(await userNames('externalId eq "ext-a"')).toEqual([]);
      expect(await userNames('userName co "example.com"')).toEqual(['Alice@Example.com', 'albert@example.com']);
      expect(await userNames('userName sw "AL"')).toEqual(['Alice@Example.com', 'albert@example.com']);
      expect(await userNames('displayName pr')).toEqual(['Alice@Example.com', 'bob@other.example']);
      expect(await userNames('userName sw "al" and displayName pr')).toEqual(['Alice@Example.com']);
      expect(await userNames('userName eq "bob@other.example" or externalId eq "ext-b"')).toEqual(['albert@example.com', 'bob@other.example']);
      expect(await userNames('(userName sw "bob" or userName sw "alb") and active eq true')).toEqual(['albert@example.com']);
      expect(await userNames('active eq false')).toEqual(['bob@other.example']);
      expect(await userNames('not (userName co "example.com")')).toEqual(['bob@other.example']);
      expect(await userNames('userName ne "bob@other.example"')).toEqual(['Alice@Example.com', 'albert@example.com']);
    });

    it('multi-valued paths: emails.value, emails co, emails[type eq "work"] and emails[type eq "work"].value', async () => {
      expect(await userNames('emails.value eq "ALICE@work.example"')).toEqual(['Alice@Example.com']);
      expect(await userNames('emails co "home.example"')).toEqual(['albert@example.com']);
      expect(await userNames('emails[type eq "work"]')).toEqual(['Alice@Example.com']);
      expect(await userNames('emails[type eq "work" and value co "alice"]')).toEqual(['Alice@Example.com']);
      expect(await userNames('emails[type eq "work"].value eq "alice@work.example"')).toEqual(['Alice@Example.com']);
      expect(await userNames('emails[type eq "home"].value eq "alice@work.example"')).toEqual([]);
      expect(await userNames('emails pr')).toEqual(['Alice@Example.com', 'albert@example.com']);
    });

    it('group filters: displayName, members.value, members[value eq ...]', async () => {
      const [alice] = (await listOf('/Users?filter=userName%20eq%20%22alice%40example.com%22')).Resources;
      await createGroup('NOC-Admins', [alice?.id ?? '']);
      await createGroup('noc-viewers');
      const names = async (filter: string) => (await listOf(`/Groups?filter=${encodeURIComponent(filter)}`)).Resources.map((group) => group.displayName).sort();
      expect(await names('displayName eq "noc-admins"')).toEqual(['NOC-Admins']);
      expect(await names('displayName sw "NOC"')).toEqual(['NOC-Admins', 'noc-viewers']);
      expect(await names(`members.value eq "${alice?.id ?? ''}"`)).toEqual(['NOC-Admins']);
      expect(await names(`members[value eq "${alice?.id ?? ''}"]`)).toEqual(['NOC-Admins']);
      expect(await names('members pr')).toEqual(['NOC-Admins']);
      expect(await names('not (members pr)')).toEqual(['noc-viewers']);
      // A duplicate displayName (any case) is 409.
      scimError(await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'noc-ADMINS' }), 409, 'uniqueness');
    });

    it('a bad filter is 400 invalidFilter', async () => {
      for (const filter of [
        'userName eq',
        'userName zz "x"',
        'userName eq "x" and',
        '(userName eq "x"',
        'nosuch eq "x"',
        'name eq "x"',
        'active co "tr"',
        'userName eq true',
        'emails[type eq "work"',
        'urn:other:schema:userName eq "x"',
        'userName eq "a\nb"',
        `userName eq "${'x'.repeat(3000)}"`,
        '',
      ]) {
        scimError(await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
      }
      scimError(await scim('GET', `/Groups?filter=${encodeURIComponent('userName eq "x"')}`), 400, 'invalidFilter');
    });

    it('pages with startIndex (1-based) and count, with totalResults over all matches', async () => {
      const all = await listOf('/Users');
      expect(all).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 3 });
      const ids = all.Resources.map((user) => user.id);
      const page = async (query: string) => listOf(`/Users?${query}`);
      expect((await page('startIndex=1&count=2')).Resources.map((user) => user.id)).toEqual(ids.slice(0, 2));
      expect(await page('startIndex=3&count=2')).toMatchObject({ totalResults: 3, startIndex: 3, itemsPerPage: 1 });
      expect((await page('startIndex=3&count=2')).Resources.map((user) => user.id)).toEqual(ids.slice(2));
      expect(await page('startIndex=10&count=2')).toMatchObject({ totalResults: 3, startIndex: 10, itemsPerPage: 0, Resources: [] });
      expect(await page('count=0')).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
      // Below 1 counts as 1; a negative count as 0 (RFC 7644 §3.4.2.4).
      expect(await page('startIndex=0&count=1')).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
      expect(await page('count=-5')).toMatchObject({ itemsPerPage: 0 });
      // Paging applies after filtering.
      const filtered = await page(`filter=${encodeURIComponent('userName co "example"')}&startIndex=2&count=5`);
      expect(filtered).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 2 });
      scimError(await scim('GET', '/Users?count=lots'), 400, 'invalidValue');
      scimError(await scim('GET', '/Users?startIndex=1.5'), 400, 'invalidValue');
    });

    it('attributes and excludedAttributes shape the answer; id, schemas and meta stay', async () => {
      const only = await listOf('/Users?attributes=userName,emails.value&filter=userName%20eq%20%22alice%40example.com%22');
      expect(only.Resources[0]).toEqual({ schemas: [USER_SCHEMA], id: only.Resources[0]?.id, meta: only.Resources[0]?.meta, userName: 'Alice@Example.com', emails: [{ value: 'alice@work.example' }] });
      const without = await listOf('/Users?excludedAttributes=emails,name&filter=userName%20eq%20%22alice%40example.com%22');
      expect(without.Resources[0]).not.toHaveProperty('emails');
      expect(without.Resources[0]).toHaveProperty('userName');
    });
  });

  it('every change is in the tenant ledger, and the ledger verifies', async () => {
    const user = await createUser('erin');
    await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Erin' }] });
    await scim('PUT', `/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'erin', displayName: 'Erin', active: false });
    const group = await createGroup('erins', [user.id]);
    await scim('DELETE', `/Groups/${group.id}`);
    await scim('DELETE', `/Users/${user.id}`);
    const entries = await ledgerEvents(t, tenant);
    const mine = entries.filter((entry) => /^(USER|GROUP)_/.test(entry.event_type)).reverse();
    expect(mine.map((entry) => entry.event_type)).toEqual(['USER_PROVISIONED', 'USER_UPDATED', 'USER_DEACTIVATED', 'GROUP_CREATED', 'GROUP_DELETED', 'USER_DELETED']);
    // What names a person is sealed with the tenant's key in the stored entry; the tenant reads it opened.
    expect(mine[0]?.details).toEqual({ user_id: user.id, active: true, personal_sealed: expect.any(String) as unknown });
    expect(mine[0]?.personal).toEqual({ user_name: 'erin', external_id: null });
    expect(mine[1]?.details).toEqual({ user_id: user.id, changed: ['displayName'], personal_sealed: expect.any(String) as unknown });
    expect(mine[1]?.personal).toEqual({ user_name: 'erin' });
    expect(JSON.stringify(mine.map((entry) => entry.details))).not.toContain('erin"');
    expect(mine[3]?.details).toMatchObject({ group_id: group.id, display_name: 'erins', members_added: [user.id] });
    expect(await ledgerVerifies(t, tenant)).toBe(true);
  });

  it('concurrent membership changes of one group all land, one version step each', async () => {
    const group = await createGroup('busy');
    const users = await Promise.all(Array.from({ length: 12 }, (_, index) => createUser(`member-${index}`)));
    const responses = await Promise.all(
      users.map((user) => scim('PATCH', `/Groups/${group.id}?excludedAttributes=members`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] })),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(users.map(() => 200));
    const final = (await scim('GET', `/Groups/${group.id}`)).json<ScimResource>();
    expect((final.members as { value: string }[]).map((entry) => entry.value).sort()).toEqual(users.map((user) => user.id).sort());
    expect(final.meta.version).toBe('W/"13"');
  });

  it('a failed write leaves nothing behind: a group with an unknown member is 400 and not created', async () => {
    const response = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'ghosts', members: [{ value: '00000000-0000-4000-8000-000000000000' }] });
    scimError(response, 400, 'invalidValue');
    expect((await listOf('/Groups')).totalResults).toBe(0);
    expect((await ledgerEvents(t, tenant)).some((entry) => entry.event_type === 'GROUP_CREATED')).toBe(false);
  });
});
