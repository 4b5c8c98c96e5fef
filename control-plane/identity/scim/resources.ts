import type { DirectoryEmail, DirectoryGroup, DirectoryMembership, DirectoryUser } from '../../storage/types';
import { hasControlCharacters } from './filter';
import { canonicalValue, type Doc } from './patch';
import { badRequest } from './scim-error';
import { GROUP_SCHEMA, groupResource, resourceAttribute, USER_SCHEMA, userResource, type ResourceDef } from './schemas';

/**
 * User and Group resources: what is stored ↔ the SCIM JSON documents (RFC 7643 §4), and the
 * validation of documents that clients send (POST, PUT, and the result of a PATCH).
 */

export const MAX_NAME_LENGTH = 256;
export const MAX_EMAILS = 50;
export const MAX_MEMBERS_PER_REQUEST = 10_000;

/** The attributes of a user a client writes. */
export interface UserState {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: DirectoryEmail[];
  active: boolean;
}

export interface GroupState {
  displayName: string;
  externalId: string | null;
  memberIds: string[];
}

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `W/"<version>"`: meta.version and the ETag header. */
export function etag(version: number): string {
  return `W/"${version}"`;
}

function meta(resourceType: 'User' | 'Group', record: { id: string; createdAt: string; updatedAt: string; version: number }, base: string): Doc {
  return {
    resourceType,
    created: record.createdAt,
    lastModified: record.updatedAt,
    location: `${base}/${resourceType}s/${record.id}`,
    version: etag(record.version),
  };
}

/** The document of a user's own attributes (what PATCH works on). */
export function userStateDoc(state: UserState): Doc {
  const doc: Doc = { userName: state.userName };
  if (state.externalId !== null) doc.externalId = state.externalId;
  const name: Doc = {};
  if (state.givenName !== null) name.givenName = state.givenName;
  if (state.familyName !== null) name.familyName = state.familyName;
  if (Object.keys(name).length > 0) doc.name = name;
  if (state.displayName !== null) doc.displayName = state.displayName;
  doc.active = state.active;
  if (state.emails.length > 0) doc.emails = state.emails.map((email) => ({ ...email }));
  return doc;
}

export function userDoc(user: DirectoryUser, memberships: DirectoryMembership[], base: string): Doc {
  const doc: Doc = { schemas: [USER_SCHEMA], id: user.id, ...userStateDoc(user) };
  if (memberships.length > 0) {
    doc.groups = memberships.map((membership) => ({ value: membership.groupId, $ref: `${base}/Groups/${membership.groupId}`, display: membership.groupDisplayName }));
  }
  doc.meta = meta('User', user, base);
  return doc;
}

export function groupStateDoc(group: { displayName: string; externalId: string | null }, memberIds: string[]): Doc {
  const doc: Doc = { displayName: group.displayName };
  if (group.externalId !== null) doc.externalId = group.externalId;
  if (memberIds.length > 0) doc.members = memberIds.map((value) => ({ value }));
  return doc;
}

export function groupDoc(group: DirectoryGroup, memberships: DirectoryMembership[], base: string): Doc {
  const doc: Doc = { schemas: [GROUP_SCHEMA], id: group.id, displayName: group.displayName };
  if (group.externalId !== null) doc.externalId = group.externalId;
  if (memberships.length > 0) {
    doc.members = memberships.map((membership) => ({ value: membership.userId, $ref: `${base}/Users/${membership.userId}`, display: membership.userDisplayName ?? membership.userName, type: 'User' }));
  }
  doc.meta = meta('Group', group, base);
  return doc;
}

/**
 * A client's document in canonical form: attribute names matched case-insensitively, complex
 * values reduced to their known sub-attributes; attributes this server does not store (other
 * schemas' extensions, `title`, `phoneNumbers`...) and read-only ones (`id`, `meta`, `groups`) are
 * dropped, as RFC 7644 §3.3 asks for read-only attributes.
 */
function canonicalDoc(body: Doc, resource: ResourceDef): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(body)) {
    const attribute = resourceAttribute(resource, key);
    if (attribute === undefined || attribute.mutability === 'readOnly') continue;
    out[attribute.name] = canonicalValue(attribute, value, attribute.name);
  }
  return out;
}

function checkSchemas(body: Doc, schema: string): void {
  const key = Object.keys(body).find((candidate) => candidate.toLowerCase() === 'schemas');
  const schemas = key === undefined ? undefined : body[key];
  if (!Array.isArray(schemas) || !schemas.some((value) => typeof value === 'string' && value.toLowerCase() === schema.toLowerCase())) {
    throw badRequest('invalidSyntax', `schemas must contain ${schema}.`);
  }
}

function optionalString(value: unknown, name: string, max = MAX_NAME_LENGTH): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw badRequest('invalidValue', `${name} must be a string.`);
  }
  if (value.length > max) {
    throw badRequest('invalidValue', `${name} is longer than ${max} characters.`);
  }
  if (hasControlCharacters(value)) {
    throw badRequest('invalidValue', `${name} contains control characters.`);
  }
  return value.trim() === '' ? null : value;
}

function requiredString(value: unknown, name: string): string {
  const text = optionalString(value, name);
  if (text === null) {
    throw badRequest('invalidValue', `${name} is required.`);
  }
  return text;
}

/** A SCIM boolean; the strings "True"/"False" (any case), as Entra ID sends them, count too. */
function booleanValue(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw badRequest('invalidValue', `${name} must be true or false.`);
}

function readEmails(value: unknown): DirectoryEmail[] {
  if (value === undefined || value === null) return [];
  const list = value as unknown[];
  if (list.length > MAX_EMAILS) {
    throw badRequest('invalidValue', `At most ${MAX_EMAILS} emails.`);
  }
  const emails = list.flatMap((element, index): DirectoryEmail[] => {
    if (!isDoc(element)) {
      throw badRequest('invalidValue', `emails[${index}] must be an object.`);
    }
    const address = optionalString(element.value, `emails[${index}].value`, 320);
    if (address === null) {
      // An element without an address (its value was just removed) is no e-mail at all.
      return [];
    }
    const email: DirectoryEmail = { value: address };
    const type = optionalString(element.type, `emails[${index}].type`, 64);
    if (type !== null) email.type = type;
    const display = optionalString(element.display, `emails[${index}].display`);
    if (display !== null) email.display = display;
    if (element.primary !== undefined && element.primary !== null) email.primary = booleanValue(element.primary, `emails[${index}].primary`, false);
    return [email];
  });
  if (emails.filter((email) => email.primary === true).length > 1) {
    throw badRequest('invalidValue', 'At most one email may be primary.');
  }
  return emails;
}

/** Validates a user document: a POST or PUT body (`body: true`, which must name the User schema) or a patched document. */
export function readUser(input: unknown, options: { body: boolean }): UserState {
  if (!isDoc(input)) {
    throw badRequest('invalidSyntax', 'The body must be a User object.');
  }
  if (options.body) checkSchemas(input, USER_SCHEMA);
  const doc = canonicalDoc(input, userResource);
  const name = doc.name;
  if (name !== undefined && name !== null && !isDoc(name)) {
    throw badRequest('invalidValue', 'name must be an object.');
  }
  return {
    userName: requiredString(doc.userName, 'userName'),
    externalId: optionalString(doc.externalId, 'externalId'),
    displayName: optionalString(doc.displayName, 'displayName'),
    givenName: optionalString(isDoc(name) ? name.givenName : undefined, 'name.givenName'),
    familyName: optionalString(isDoc(name) ? name.familyName : undefined, 'name.familyName'),
    emails: readEmails(doc.emails),
    active: booleanValue(doc.active, 'active', true),
  };
}

/** Validates a group document: a POST or PUT body (`body: true`) or a patched document. Member ids are checked against storage by the caller. */
export function readGroup(input: unknown, options: { body: boolean }): GroupState {
  if (!isDoc(input)) {
    throw badRequest('invalidSyntax', 'The body must be a Group object.');
  }
  if (options.body) checkSchemas(input, GROUP_SCHEMA);
  const doc = canonicalDoc(input, groupResource);
  const members = (doc.members ?? []) as unknown[];
  if (members.length > MAX_MEMBERS_PER_REQUEST) {
    throw badRequest('invalidValue', `At most ${MAX_MEMBERS_PER_REQUEST} members in one request.`);
  }
  const memberIds = members.map((element, index) => {
    if (!isDoc(element) || typeof element.value !== 'string' || element.value === '' || element.value.length > 64 || hasControlCharacters(element.value)) {
      throw badRequest('invalidValue', `members[${index}].value must be the id of a user.`);
    }
    if (element.type !== undefined && element.type !== null && (typeof element.type !== 'string' || element.type.toLowerCase() !== 'user')) {
      throw badRequest('invalidValue', `members[${index}]: only users can be members (no nested groups).`);
    }
    // Our ids are lowercase UUIDs; a client that upper-cases one still names the same user.
    return /^[0-9a-f-]{36}$/i.test(element.value) ? element.value.toLowerCase() : element.value;
  });
  return { displayName: requiredString(doc.displayName, 'displayName'), externalId: optionalString(doc.externalId, 'externalId'), memberIds: [...new Set(memberIds)] };
}

/** Which of a user's attributes differ (for the ledger). */
export function changedUserAttributes(before: UserState, after: UserState): string[] {
  const names: (keyof UserState)[] = ['userName', 'externalId', 'displayName', 'givenName', 'familyName', 'emails', 'active'];
  return names.filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]));
}

/** Reduces a document to the attributes asked for (RFC 7644 §3.4.2.5); id, schemas and meta always stay. */
export function project(doc: Doc, resource: ResourceDef, attributes: string[] | undefined, excluded: string[] | undefined): Doc {
  const resolve = (entry: string): [string, string | undefined] | null => {
    const text = entry.trim();
    const colon = text.lastIndexOf(':');
    const local = colon >= 0 && text.slice(0, colon).toLowerCase() === resource.schema.toLowerCase() ? text.slice(colon + 1) : colon >= 0 ? null : text;
    if (local === null) return null;
    const [top, sub] = local.split('.');
    const attribute = top === undefined ? undefined : resourceAttribute(resource, top);
    if (attribute === undefined) return null;
    const subAttribute = sub === undefined ? undefined : attribute.subAttributes?.find((candidate) => candidate.name.toLowerCase() === sub.toLowerCase());
    return [attribute.name, subAttribute?.name];
  };
  const always = new Set(['schemas', 'id', 'meta']);
  if (attributes !== undefined && attributes.length > 0) {
    const out: Doc = {};
    for (const [key, value] of Object.entries(doc)) {
      if (always.has(key)) out[key] = value;
    }
    for (const entry of attributes) {
      const resolved = resolve(entry);
      if (resolved === null) continue;
      const [top, sub] = resolved;
      const value = doc[top];
      if (value === undefined) continue;
      if (sub === undefined) {
        out[top] = value;
      } else if (Array.isArray(value)) {
        out[top] = value.map((element) => (isDoc(element) && element[sub] !== undefined ? { [sub]: element[sub] } : {}));
      } else if (isDoc(value) && value[sub] !== undefined) {
        out[top] = { ...(isDoc(out[top]) ? out[top] : {}), [sub]: value[sub] };
      }
    }
    return out;
  }
  if (excluded !== undefined && excluded.length > 0) {
    const out: Doc = { ...doc };
    for (const entry of excluded) {
      const resolved = resolve(entry);
      if (resolved === null || always.has(resolved[0])) continue;
      const [top, sub] = resolved;
      if (sub === undefined) {
        Reflect.deleteProperty(out, top);
      } else if (Array.isArray(out[top])) {
        out[top] = (out[top] as unknown[]).map((element) => {
          if (!isDoc(element)) return element;
          const { [sub]: _dropped, ...rest } = element;
          return rest;
        });
      } else if (isDoc(out[top])) {
        const { [sub]: _dropped, ...rest } = out[top];
        out[top] = rest;
      }
    }
    return out;
  }
  return doc;
}
