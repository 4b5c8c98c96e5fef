import { describe, expect, it } from 'vitest';
import { indexedLookup, matches, parseFilter, resourceScope } from './filter';
import { applyPatch, parsePatchRequest, parsePath, type Doc } from './patch';
import { ScimError } from './scim-error';
import { groupResource, PATCH_OP_SCHEMA, userResource } from './schemas';

function scimType(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error.scimType ?? `status ${error.status}`;
    throw error;
  }
  return 'no error';
}

const patch = (doc: Doc, operations: object[], resource = userResource) => applyPatch(doc, parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }, resource));

describe('SCIM PATCH paths', () => {
  it('reads attr, attr.sub, attr[filter], attr[filter].sub, with or without the schema URN', () => {
    expect(parsePath('userName', userResource)).toMatchObject({ attribute: { name: 'userName' }, filter: undefined, sub: undefined });
    expect(parsePath('NAME.GIVENNAME', userResource)).toMatchObject({ attribute: { name: 'name' }, sub: { name: 'givenName' } });
    expect(parsePath('emails[type eq "work"].value', userResource)).toMatchObject({ attribute: { name: 'emails' }, filter: { kind: 'compare' }, sub: { name: 'value' } });
    expect(parsePath('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "a:b]"]', userResource)).toMatchObject({ attribute: { name: 'emails' }, sub: undefined });
    expect(parsePath('members[value eq "x"]', groupResource)).toMatchObject({ attribute: { name: 'members' } });
  });

  it('ignores what is not stored here, refuses read-only attributes and malformed paths', () => {
    expect(parsePath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', userResource)).toBeNull();
    expect(parsePath('title', userResource)).toBeNull();
    expect(parsePath('phoneNumbers[type eq "work"].value', userResource)).toBeNull();
    expect(parsePath('name.formatted', userResource)).toBeNull();
    expect(scimType(() => parsePath('id', userResource))).toBe('mutability');
    expect(scimType(() => parsePath('meta.lastModified', userResource))).toBe('mutability');
    expect(scimType(() => parsePath('emails[type eq "work"', userResource))).toBe('invalidPath');
    expect(scimType(() => parsePath('emails[type eq "work"]x', userResource))).toBe('invalidPath');
    expect(scimType(() => parsePath('userName[value eq "x"]', userResource))).toBe('invalidPath');
    expect(scimType(() => parsePath('a.b.c', userResource))).toBe('invalidPath');
    expect(scimType(() => parsePath('userName.x', userResource))).toBe('invalidPath');
    expect(scimType(() => parsePath('emails[type zz "x"]', userResource))).toBe('invalidFilter');
  });

  it('reads the request: PatchOp schema, op in any case, remove needs a path, path-less values need an object', () => {
    expect(scimType(() => parsePatchRequest({ Operations: [{ op: 'add', path: 'userName', value: 'x' }] }, userResource))).toBe('invalidSyntax');
    expect(scimType(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'copy', path: 'userName' }] }, userResource))).toBe('invalidSyntax');
    expect(scimType(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Remove' }] }, userResource))).toBe('noTarget');
    expect(scimType(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', value: 'x' }] }, userResource))).toBe('invalidValue');
    expect(scimType(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', path: 'userName' }] }, userResource))).toBe('invalidValue');
    // An echoed id in a path-less value (Okta's group rename) is ignored, not refused.
    expect(parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ OP: 'REPLACE', Value: { id: 'x', displayName: 'y' } }] }, groupResource)).toHaveLength(1);
  });
});

describe('SCIM PATCH operations', () => {
  const user: Doc = { userName: 'u', name: { givenName: 'G', familyName: 'F' }, active: true, emails: [{ value: 'w@x', type: 'work', primary: true }] };

  it('merges complex values, sets sub-attributes, removes', () => {
    expect(patch(user, [{ op: 'replace', path: 'name', value: { FamilyName: 'New' } }]).name).toEqual({ givenName: 'G', familyName: 'New' });
    expect(patch(user, [{ op: 'replace', value: { 'name.givenName': 'g2', active: 'False' } }])).toMatchObject({ name: { givenName: 'g2' }, active: 'False' });
    expect(patch(user, [{ op: 'remove', path: 'name.givenName' }]).name).toEqual({ familyName: 'F' });
    expect(patch(user, [{ op: 'remove', path: 'emails' }])).not.toHaveProperty('emails');
    // The input document is not changed.
    expect(user.name).toEqual({ givenName: 'G', familyName: 'F' });
  });

  it('multi-valued: add appends or merges, a new primary demotes the old, a filtered replace with no match creates only for a simple eq', () => {
    const added = patch(user, [{ op: 'add', path: 'emails', value: [{ value: 'h@x', type: 'home', primary: true }, { value: 'W@X', display: 'Work' }] }]);
    expect(added.emails).toEqual([
      { value: 'W@X', type: 'work', primary: false, display: 'Work' },
      { value: 'h@x', type: 'home', primary: true },
    ]);
    expect(patch(user, [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'h@x' }]).emails).toEqual([
      { value: 'w@x', type: 'work', primary: true },
      { type: 'home', value: 'h@x' },
    ]);
    expect(scimType(() => patch(user, [{ op: 'replace', path: 'emails[type eq "home" or type eq "other"].value', value: 'h@x' }]))).toBe('noTarget');
    expect(patch(user, [{ op: 'remove', path: 'emails[type eq "home"]' }]).emails).toEqual(user.emails);
    expect(patch(user, [{ op: 'remove', path: 'emails[type eq "work"].value' }]).emails).toEqual([{ type: 'work', primary: true }]);
  });

  it('group members: Entra adds and filtered removes, Okta removes a list of values', () => {
    const group: Doc = { displayName: 'g', members: [{ value: 'a' }, { value: 'b' }] };
    expect(patch(group, [{ op: 'Add', path: 'members', value: [{ value: 'c' }, { value: 'a' }] }], groupResource).members).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    expect(patch(group, [{ op: 'Remove', path: 'members[value eq "a"]' }], groupResource).members).toEqual([{ value: 'b' }]);
    expect(patch(group, [{ op: 'remove', path: 'members', value: [{ value: 'b', display: 'B' }] }], groupResource).members).toEqual([{ value: 'a' }]);
    expect(patch(group, [{ op: 'remove', path: 'members' }], groupResource)).not.toHaveProperty('members');
    expect(patch(group, [{ op: 'replace', path: 'members', value: [{ value: 'z' }] }], groupResource).members).toEqual([{ value: 'z' }]);
    // Member ids are caseExact: "A" is not "a".
    expect(patch(group, [{ op: 'Remove', path: 'members[value eq "A"]' }], groupResource).members).toEqual(group.members);
  });
});

describe('SCIM filters', () => {
  const scope = resourceScope(userResource);
  const doc = { userName: 'Alice', active: true, emails: [{ value: 'a@work', type: 'work' }, { value: 'a@home', type: 'home' }] };
  const test = (filter: string) => matches(parseFilter(filter, scope), doc);

  it('evaluates with RFC 7643 semantics', () => {
    expect(test('userName eq "alice"')).toBe(true);
    expect(test('emails[type eq "work"].value eq "a@work"')).toBe(true);
    expect(test('emails[type eq "work"].value eq "a@home"')).toBe(false);
    expect(test('emails.value eq "a@home"')).toBe(true);
    expect(test('active eq "true"')).toBe(true);
    expect(test('displayName ne "x"')).toBe(true);
    expect(test('displayName pr')).toBe(false);
    expect(test('not (userName sw "b") and (emails co "home" or userName ew "z")')).toBe(true);
    expect(test('userName gt "alex"')).toBe(true);
  });

  it('narrows by an index only for an eq on an indexed attribute, with ASCII for case-insensitive ones', () => {
    expect(indexedLookup(parseFilter('userName eq "A" and active eq true', scope), userResource)).toEqual({ attribute: 'userName', value: 'A' });
    expect(indexedLookup(parseFilter('userName eq "Ä"', scope), userResource)).toBeNull();
    expect(indexedLookup(parseFilter('externalId eq "Ä"', scope), userResource)).toEqual({ attribute: 'externalId', value: 'Ä' });
    expect(indexedLookup(parseFilter('userName eq "a" or userName eq "b"', scope), userResource)).toBeNull();
    expect(indexedLookup(parseFilter('displayName eq "a"', resourceScope(groupResource)), groupResource)).toEqual({ attribute: 'displayName', value: 'a' });
    expect(indexedLookup(parseFilter('displayName eq "a"', scope), userResource)).toBeNull();
  });

  it('refuses what it cannot evaluate honestly', () => {
    for (const filter of ['userName', 'emails eq true', 'name.nope eq "x"', 'active gt true', '"x" eq userName', 'userName eq "x" or', 'x'.repeat(3000), 'userName eq "a\u0001"']) {
      expect(scimType(() => parseFilter(filter, scope)), filter).toBe('invalidFilter');
    }
  });
});
