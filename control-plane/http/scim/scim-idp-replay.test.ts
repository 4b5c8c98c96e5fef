import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import {
  GROUP_SCHEMA,
  LIST_RESPONSE,
  ledgerEvents,
  ledgerVerifies,
  PATCH_OP,
  scimCall,
  scimTenant,
  USER_SCHEMA,
  type Method,
  type ScimList,
  type ScimResource,
  type ScimTenant,
} from '../../../test/helpers/scim-fixtures';

/**
 * Request-by-request replays of what Microsoft Entra ID and Okta send to a SCIM 2.0 endpoint while
 * provisioning (bodies as their documentation shows them, quirks included), with the RFC 7644
 * answers each step must get.
 */
describe('SCIM replays of Entra ID and Okta provisioning', () => {
  let t: TestApp;
  let tenant: ScimTenant;

  beforeEach(async () => {
    t = await buildTestApp();
    tenant = await scimTenant(t, 'idp-replay', 'pooled');
  });

  afterEach(async () => {
    await t.close();
  });

  const scim = (method: Method, url: string, body?: unknown) => scimCall(t, method, `/scim/v2${url}`, tenant.scim, body);

  /** An RFC 7644 resource answer: the status, the media type, schemas, meta, and Location/ETag agreeing with meta. */
  function resource(response: LightMyRequestResponse, status: number, schema: string, resourceType: 'User' | 'Group'): ScimResource {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = response.json<ScimResource>();
    expect(body.schemas).toEqual([schema]);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.meta.resourceType).toBe(resourceType);
    expect(body.meta.location).toMatch(new RegExp(`/scim/v2/${resourceType}s/${body.id}$`));
    expect(body.meta.version).toMatch(/^W\/"\d+"$/);
    expect(response.headers.etag).toBe(body.meta.version);
    expect(Date.parse(body.meta.created)).not.toBeNaN();
    expect(Date.parse(body.meta.lastModified)).not.toBeNaN();
    if (status === 201) {
      expect(response.headers.location).toBe(body.meta.location);
    }
    return body;
  }

  function list(response: LightMyRequestResponse): ScimList {
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = response.json<ScimList>();
    expect(body.schemas).toEqual([LIST_RESPONSE]);
    expect(body.itemsPerPage).toBe(body.Resources.length);
    return body;
  }

  const version = (body: ScimResource) => Number(/"(\d+)"/.exec(body.meta.version)?.[1]);

  it('Entra ID: user lifecycle, groups and memberships, as the provisioning service sends them', async () => {
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    // 1. Entra looks the user up by its matching attribute before creating it.
    const lookup = list(await scim('GET', `/Users?filter=userName+eq+%22${userName}%22`));
    expect(lookup).toMatchObject({ totalResults: 0, startIndex: 1, Resources: [] });

    // 2. Create, with the enterprise extension, meta and roles it sends but this server does not store.
    const created = resource(
      await scim('POST', '/Users', {
        schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@testuser.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'NOC', manager: { value: 'x' } },
      }),
      201,
      USER_SCHEMA,
      'User',
    );
    expect(created).toMatchObject({
      userName,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
      name: { givenName: 'givenName', familyName: 'familyName' },
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@testuser.com' }],
    });
    expect(created).not.toHaveProperty('roles');
    expect(created).not.toHaveProperty(['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']);
    expect(version(created)).toBe(1);

    // 3. The same lookup now finds it (Entra's lookup is case-insensitive on userName too).
    const found = list(await scim('GET', `/Users?filter=userName+eq+%22${userName.toUpperCase()}%22`));
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]?.id).toBe(created.id);

    // 4. Update: PascalCase ops, a filtered e-mail path, a sub-attribute path.
    const updated = resource(
      await scim('PATCH', `/Users/${created.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        ],
      }),
      200,
      USER_SCHEMA,
      'User',
    );
    expect(updated.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
    expect(updated.name).toEqual({ givenName: 'givenName', familyName: 'updatedFamilyName' });
    expect(version(updated)).toBe(2);

    // 5. Replace without a path: an object whose keys are attribute paths, dotted ones included.
    const renamed = resource(
      await scim('PATCH', `/Users/${created.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { displayName: 'Updated Display', 'name.givenName': 'updatedGiven', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'SOC' } }],
      }),
      200,
      USER_SCHEMA,
      'User',
    );
    expect(renamed).toMatchObject({ displayName: 'Updated Display', name: { givenName: 'updatedGiven', familyName: 'updatedFamilyName' } });

    // 6. A second work address replaces the first; a home one is added beside it (Add on a filtered path with no match).
    const home = resource(
      await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'emails[type eq "home"].value', value: 'home@example.com' }] }),
      200,
      USER_SCHEMA,
      'User',
    );
    expect(home.emails).toEqual([
      { primary: true, type: 'work', value: 'updatedEmail@microsoft.com' },
      { type: 'home', value: 'home@example.com' },
    ]);

    // 7. Groups: lookup by displayName without members, create, add the member Entra's way.
    expect(list(await scim('GET', '/Groups?excludedAttributes=members&filter=displayName+eq+%22Group1DisplayName%22')).totalResults).toBe(0);
    const group = resource(
      await scim('POST', '/Groups', { externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'Group1DisplayName', meta: { resourceType: 'Group' }, schemas: [GROUP_SCHEMA] }),
      201,
      GROUP_SCHEMA,
      'Group',
    );
    expect(group).toMatchObject({ displayName: 'Group1DisplayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });
    expect(group).not.toHaveProperty('members');

    const withMember = resource(
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: created.id }] }] }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect(withMember.members).toEqual([{ value: created.id, $ref: expect.stringMatching(new RegExp(`/scim/v2/Users/${created.id}$`)) as unknown, display: 'Updated Display', type: 'User' }]);
    // Entra checks membership with a filter on the group id and a member, members left out.
    const membership = list(await scim('GET', `/Groups?excludedAttributes=members&filter=id+eq+%22${group.id}%22+and+members[value+eq+%22${created.id}%22]`));
    expect(membership.totalResults).toBe(1);
    expect(membership.Resources[0]).not.toHaveProperty('members');
    // The user shows the group (readOnly groups attribute).
    const member = resource(await scim('GET', `/Users/${created.id}`), 200, USER_SCHEMA, 'User');
    expect(member.groups).toEqual([{ value: group.id, $ref: expect.stringMatching(new RegExp(`/Groups/${group.id}$`)) as unknown, display: 'Group1DisplayName' }]);

    // 8. Rename the group, remove the member with Entra's filtered path.
    resource(await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Group1Renamed' }] }), 200, GROUP_SCHEMA, 'Group');
    const removed = resource(
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${created.id}"]` }] }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect(removed).toMatchObject({ displayName: 'Group1Renamed' });
    expect(removed).not.toHaveProperty('members');
    expect(list(await scim('GET', `/Groups?filter=id+eq+%22${group.id}%22+and+members[value+eq+%22${created.id}%22]`)).totalResults).toBe(0);

    // 9. Disable: Entra sends the boolean as the string "False".
    const disabled = resource(
      await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
      200,
      USER_SCHEMA,
      'User',
    );
    expect(disabled.active).toBe(false);
    expect(list(await scim('GET', '/Users?filter=active+eq+false')).totalResults).toBe(1);

    // 10. Delete the group and the user; both are gone.
    expect((await scim('DELETE', `/Groups/${group.id}`)).statusCode).toBe(204);
    expect((await scim('GET', `/Groups/${group.id}`)).statusCode).toBe(404);
    const deleted = await scim('DELETE', `/Users/${created.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await scim('GET', `/Users/${created.id}`)).statusCode).toBe(404);
    expect(list(await scim('GET', `/Users?filter=userName+eq+%22${userName}%22`)).totalResults).toBe(0);

    // The ledger has every step, and verifies.
    const events = (await ledgerEvents(t, tenant)).map((entry) => entry.event_type).reverse();
    expect(events.filter((event) => event.startsWith('USER_') || event.startsWith('GROUP_'))).toEqual([
      'USER_PROVISIONED',
      'USER_UPDATED',
      'USER_UPDATED',
      'USER_UPDATED',
      'GROUP_CREATED',
      'GROUP_UPDATED',
      'GROUP_UPDATED',
      'GROUP_UPDATED',
      'USER_DEACTIVATED',
      'GROUP_DELETED',
      'USER_DELETED',
    ]);
    expect(await ledgerVerifies(t, tenant)).toBe(true);
  });

  it('Okta: import paging, create, full PUT, deactivate, push groups with members added and removed', async () => {
    // Okta's import reads pages; its create checks for an existing userName first.
    expect(list(await scim('GET', '/Users?startIndex=1&count=2'))).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0 });
    expect(list(await scim('GET', '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100')).totalResults).toBe(0);

    const created = resource(
      await scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: 'test.user@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      }),
      201,
      USER_SCHEMA,
      'User',
    );
    expect(created).toMatchObject({ userName: 'test.user@okta.local', active: true, displayName: 'Test User', externalId: '00ujl29u0le5T6Aj10h7' });
    // Never stored, never echoed.
    expect(created).not.toHaveProperty('password');
    expect(created).not.toHaveProperty('locale');

    const fetched = resource(await scim('GET', `/Users/${created.id}`), 200, USER_SCHEMA, 'User');
    expect(fetched).toEqual(created);

    // Profile push: a full PUT, with the read-only id and meta echoed back.
    const replaced = resource(
      await scim('PUT', `/Users/${created.id}`, {
        schemas: [USER_SCHEMA],
        id: created.id,
        userName: 'test.user@okta.local',
        name: { givenName: 'Another', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Another User',
        externalId: '00ujl29u0le5T6Aj10h7',
        active: true,
        meta: created.meta,
      }),
      200,
      USER_SCHEMA,
      'User',
    );
    expect(replaced).toMatchObject({ id: created.id, name: { givenName: 'Another', familyName: 'User' }, displayName: 'Another User' });
    expect(version(replaced)).toBe(2);
    expect(replaced.meta.created).toBe(created.meta.created);

    // A second user, to page over.
    const second = resource(await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'second@okta.local', active: true }), 201, USER_SCHEMA, 'User');
    const page1 = list(await scim('GET', '/Users?startIndex=1&count=1'));
    const page2 = list(await scim('GET', '/Users?startIndex=2&count=1'));
    expect([page1.totalResults, page1.startIndex, page1.itemsPerPage, page2.startIndex, page2.itemsPerPage]).toEqual([2, 1, 1, 2, 1]);
    expect([page1.Resources[0]?.id, page2.Resources[0]?.id].sort()).toEqual([created.id, second.id].sort());

    // Push groups: lookup, create with no members, rename the Okta way (replace with id echoed), add and remove members.
    expect(list(await scim('GET', '/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100')).totalResults).toBe(0);
    const group = resource(await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', members: [] }), 201, GROUP_SCHEMA, 'Group');
    const renamed = resource(
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: group.id, displayName: 'Test SCIMv2 Renamed' } }] }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect(renamed.displayName).toBe('Test SCIMv2 Renamed');
    const added = resource(
      await scim('PATCH', `/Groups/${group.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: created.id, display: 'test.user@okta.local' }, { value: second.id, display: 'second@okta.local' }] }],
      }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect((added.members as { value: string }[]).map((entry) => entry.value).sort()).toEqual([created.id, second.id].sort());
    const afterRemove = resource(
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: created.id, display: 'test.user@okta.local' }] }] }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect((afterRemove.members as { value: string }[]).map((entry) => entry.value)).toEqual([second.id]);
    // A full PUT of the group sets the member list outright.
    const put = resource(
      await scim('PUT', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], id: group.id, displayName: 'Test SCIMv2 Renamed', members: [{ value: created.id }] }),
      200,
      GROUP_SCHEMA,
      'Group',
    );
    expect((put.members as { value: string }[]).map((entry) => entry.value)).toEqual([created.id]);

    // Deactivate: replace without a path, the value an object.
    const deactivated = resource(await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }), 200, USER_SCHEMA, 'User');
    expect(deactivated.active).toBe(false);
    // Sending it again changes nothing: same version, no second ledger entry.
    const again = resource(await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }), 200, USER_SCHEMA, 'User');
    expect(again.meta.version).toBe(deactivated.meta.version);

    expect((await scim('DELETE', `/Groups/${group.id}`)).statusCode).toBe(204);
    expect((await scim('DELETE', `/Users/${created.id}`)).statusCode).toBe(204);

    const events = (await ledgerEvents(t, tenant)).map((entry) => entry.event_type).reverse();
    expect(events.filter((event) => event.startsWith('USER_') || event.startsWith('GROUP_'))).toEqual([
      'USER_PROVISIONED',
      'USER_UPDATED',
      'USER_PROVISIONED',
      'GROUP_CREATED',
      'GROUP_UPDATED',
      'GROUP_UPDATED',
      'GROUP_UPDATED',
      'GROUP_UPDATED',
      'USER_DEACTIVATED',
      'GROUP_DELETED',
      'USER_DELETED',
    ]);
    const membershipEntry = (await ledgerEvents(t, tenant)).find((entry) => entry.event_type === 'GROUP_UPDATED' && (entry.details.members_removed as string[]).length > 0);
    expect(membershipEntry?.details).toMatchObject({ group_id: group.id });
    expect(await ledgerVerifies(t, tenant)).toBe(true);
  });
});
