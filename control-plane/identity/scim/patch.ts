import { hasControlCharacters, parseFilter, matches, subScope, type FilterNode } from './filter';
import { badRequest } from './scim-error';
import { findAttribute, PATCH_OP_SCHEMA, resourceAttribute, type AttributeDef, type ResourceDef } from './schemas';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) over a resource document, as Entra ID and Okta send it:
 * `op` in any case ("Replace"), `path` with or without a value filter and sub-attribute
 * (`emails[type eq "work"].value`, `members[value eq "id"]`, `name.givenName`), `replace`
 * without a path carrying an object whose keys are paths (`{"name.givenName":"x","active":false}`),
 * `remove` of `members` with a list of values (Okta). Attributes this server does not store (other
 * schemas' extensions, `title`, `phoneNumbers`...) are accepted and ignored; readOnly ones are refused
 * (`mutability`). The caller validates the resulting document like a PUT body.
 */

export type Doc = Record<string, unknown>;

export const MAX_OPERATIONS = 1000;
const MAX_PATH_LENGTH = 1024;

export interface PatchPath {
  text: string;
  attribute: AttributeDef;
  /** A value filter on a multi-valued attribute (`emails[type eq "work"]`). */
  filter: FilterNode | undefined;
  /** A sub-attribute after the attribute or its filter (`name.givenName`, `emails[...].value`). */
  sub: AttributeDef | undefined;
}

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  /** null: the path names an attribute this server does not store; the operation is ignored. */
  path: PatchPath | null | undefined;
  value: unknown;
}

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key of an object, looked up case-insensitively. */
function member(object: Doc, name: string): unknown {
  const wanted = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : object[key];
}

const NAME = /^\$?[A-Za-z][\w-]*$/;

/** Parses a PATCH path against a resource; null when it names something this server does not store. */
export function parsePath(text: string, resource: ResourceDef): PatchPath | null {
  if (text.length > MAX_PATH_LENGTH || hasControlCharacters(text) || text.trim() === '') {
    throw badRequest('invalidPath', 'The path is empty, too long or has control characters.');
  }
  const bracket = text.indexOf('[');
  let head = bracket < 0 ? text : text.slice(0, bracket);
  let filterText: string | undefined;
  let subName: string | undefined;
  if (bracket >= 0) {
    const close = text.lastIndexOf(']');
    if (close < bracket) {
      throw badRequest('invalidPath', `The path ${text} has an unclosed [.`);
    }
    filterText = text.slice(bracket + 1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith('.')) {
        throw badRequest('invalidPath', `Unexpected text after ] in the path ${text}.`);
      }
      subName = after.slice(1);
    }
  }
  const colon = head.lastIndexOf(':');
  if (colon >= 0) {
    const urn = head.slice(0, colon);
    if (urn.toLowerCase() !== resource.schema.toLowerCase()) {
      // Another schema (an extension such as the enterprise user): not stored here.
      return null;
    }
    head = head.slice(colon + 1);
  }
  const names = head.split('.');
  if (names.length > 2 || (bracket >= 0 && names.length > 1)) {
    throw badRequest('invalidPath', `The path ${text} is not attr, attr.sub, attr[filter] or attr[filter].sub.`);
  }
  const [topName = '', headSub] = names;
  subName ??= headSub;
  if (!NAME.test(topName) || (subName !== undefined && !NAME.test(subName))) {
    throw badRequest('invalidPath', `The path ${text} has an invalid attribute name.`);
  }
  const attribute = resourceAttribute(resource, topName);
  if (attribute === undefined) {
    return null;
  }
  if (attribute.mutability === 'readOnly') {
    throw badRequest('mutability', `${attribute.name} is read-only.`);
  }
  let sub: AttributeDef | undefined;
  if (subName !== undefined) {
    if (attribute.type !== 'complex') {
      throw badRequest('invalidPath', `${attribute.name} has no sub-attributes.`);
    }
    sub = findAttribute(attribute.subAttributes ?? [], subName);
    if (sub === undefined) {
      return null;
    }
    if (sub.mutability === 'readOnly') {
      return null;
    }
  }
  let filter: FilterNode | undefined;
  if (filterText !== undefined) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw badRequest('invalidPath', `${attribute.name} is not multi-valued: it takes no [filter].`);
    }
    filter = parseFilter(filterText, subScope(attribute));
  }
  return { text, attribute, filter, sub };
}

/** Reads the PATCH request body: `schemas` with the PatchOp URN and `Operations` (RFC 7644 §3.5.2). */
export function parsePatchRequest(body: unknown, resource: ResourceDef): PatchOperation[] {
  if (!isDoc(body)) {
    throw badRequest('invalidSyntax', 'The body must be a PatchOp object.');
  }
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((schema) => typeof schema === 'string' && schema.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw badRequest('invalidSyntax', `schemas must contain ${PATCH_OP_SCHEMA}.`);
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw badRequest('invalidSyntax', 'Operations must be a non-empty array.');
  }
  if (operations.length > MAX_OPERATIONS) {
    throw badRequest('invalidSyntax', `At most ${MAX_OPERATIONS} operations per request.`);
  }
  return operations.flatMap((raw, index): PatchOperation[] => {
    if (!isDoc(raw)) {
      throw badRequest('invalidSyntax', `Operations[${index}] must be an object.`);
    }
    const op = member(raw, 'op');
    const kind = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (kind !== 'add' && kind !== 'remove' && kind !== 'replace') {
      throw badRequest('invalidSyntax', `Operations[${index}].op must be add, remove or replace.`);
    }
    const path = member(raw, 'path');
    const value = member(raw, 'value');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw badRequest('invalidPath', `Operations[${index}].path must be a string.`);
    }
    if (typeof path === 'string') {
      if (kind !== 'remove' && value === undefined) {
        throw badRequest('invalidValue', `Operations[${index}] (${kind}) needs a value.`);
      }
      return [{ op: kind, path: parsePath(path, resource), value }];
    }
    if (kind === 'remove') {
      throw badRequest('noTarget', `Operations[${index}]: remove needs a path.`);
    }
    if (!isDoc(value)) {
      throw badRequest('invalidValue', `Operations[${index}] (${kind} without a path) needs an object value.`);
    }
    // Each key of the value is a path of its own ("name.givenName", "emails[type eq \"work\"].value").
    return Object.entries(value).flatMap(([key, inner]): PatchOperation[] => {
      if (key.toLowerCase() === 'schemas') return [];
      const parsed = parseValueKey(key, resource);
      return parsed === null ? [] : [{ op: kind, path: parsed, value: inner }];
    });
  });
}

/** A key of a path-less add/replace: read-only attributes (an echoed id or meta) and other schemas are ignored. */
function parseValueKey(key: string, resource: ResourceDef): PatchPath | null {
  if (key.toLowerCase().startsWith('urn:') && key.toLowerCase() !== resource.schema.toLowerCase() && !key.toLowerCase().startsWith(`${resource.schema.toLowerCase()}:`)) {
    return null;
  }
  try {
    return parsePath(key, resource);
  } catch (error) {
    if (error instanceof Error && 'scimType' in error && error.scimType === 'mutability') {
      return null;
    }
    throw error;
  }
}

/** A value in the schema's canonical shape: complex values keep their known sub-attributes under their canonical names. */
export function canonicalValue(attribute: AttributeDef, value: unknown, path: string): unknown {
  if (attribute.multiValued) {
    const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
    return list.map((element) => canonicalSingle(attribute, element, path));
  }
  return canonicalSingle(attribute, value, path);
}

function canonicalSingle(attribute: AttributeDef, value: unknown, path: string): unknown {
  if (attribute.type !== 'complex' || value === null || value === undefined) {
    return value;
  }
  if (!isDoc(value)) {
    throw badRequest('invalidValue', `${path} takes an object.`);
  }
  const out: Doc = {};
  for (const [key, inner] of Object.entries(value)) {
    const sub = findAttribute(attribute.subAttributes ?? [], key);
    if (sub !== undefined) {
      out[sub.name] = inner;
    }
  }
  return out;
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

/** Two elements of a multi-valued attribute are the same value when their `value` sub-attributes are equal. */
function sameValue(attribute: AttributeDef, a: unknown, b: unknown): boolean {
  const valueDef = findAttribute(attribute.subAttributes ?? [], 'value');
  if (isDoc(a) && isDoc(b) && valueDef !== undefined && typeof a.value === 'string' && typeof b.value === 'string') {
    return valueDef.caseExact ? a.value === b.value : a.value.toLowerCase() === b.value.toLowerCase();
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * When an operation sets `primary: true` on an element, no other element stays primary (RFC 7644
 * §3.5.2.1); `claimed` are the elements the operation itself made primary, the last of them wins.
 */
function keepOnePrimary(list: unknown[], claimed: unknown[]): void {
  const winner = claimed.findLast((element) => isDoc(element) && isTrue(element.primary));
  if (winner === undefined) return;
  for (const element of list) {
    if (element !== winner && isDoc(element) && isTrue(element.primary)) {
      element.primary = false;
    }
  }
}

/** The `sub eq "value"` of a simple value filter: an element to create when nothing matches (Entra ID sends replace for a new work e-mail). */
function creatableFrom(filter: FilterNode | undefined): Doc | null {
  if (filter?.kind === 'compare' && filter.op === 'eq' && filter.path.sub === undefined && filter.path.top.type !== 'complex') {
    return { [filter.path.top.name]: filter.value };
  }
  return null;
}

function listOf(doc: Doc, attribute: AttributeDef): unknown[] {
  const current = doc[attribute.name];
  return Array.isArray(current) ? current : [];
}

/** Applies operations in order to a copy of `doc`; the caller validates the result. */
export function applyPatch(doc: Doc, operations: PatchOperation[]): Doc {
  const next = structuredClone(doc);
  for (const operation of operations) {
    if (operation.path === null || operation.path === undefined) {
      continue;
    }
    applyOne(next, operation.op, operation.path, operation.value);
  }
  return next;
}

function applyOne(doc: Doc, op: PatchOperation['op'], path: PatchPath, value: unknown): void {
  const { attribute, filter, sub } = path;
  if (!attribute.multiValued) {
    applySingular(doc, op, path, value);
    return;
  }
  const list = listOf(doc, attribute);
  if (filter === undefined && sub === undefined) {
    if (op === 'remove') {
      if (value === undefined || value === null) {
        Reflect.deleteProperty(doc, attribute.name);
        return;
      }
      // Okta: remove the listed values (by their `value`).
      const removing = canonicalValue(attribute, value, path.text) as unknown[];
      doc[attribute.name] = list.filter((element) => !removing.some((gone) => sameValue(attribute, element, gone)));
      return;
    }
    const incoming = canonicalValue(attribute, value, path.text) as unknown[];
    if (op === 'replace') {
      doc[attribute.name] = incoming;
      keepOnePrimary(incoming, incoming);
      return;
    }
    // add: new values are appended; a value already there is merged, not duplicated.
    const claimed: unknown[] = [];
    for (const element of incoming) {
      const index = list.findIndex((existing) => sameValue(attribute, existing, element));
      const merged = index >= 0 && isDoc(list[index]) && isDoc(element) ? { ...list[index], ...element } : element;
      if (index >= 0) {
        list[index] = merged;
      } else {
        list.push(merged);
      }
      if (isDoc(element) && isTrue(element.primary)) claimed.push(merged);
    }
    doc[attribute.name] = list;
    keepOnePrimary(list, claimed);
    return;
  }
  const selected = list.filter((element) => isDoc(element) && (filter === undefined || matches(filter, element))) as Doc[];
  if (op === 'remove') {
    if (sub === undefined) {
      doc[attribute.name] = list.filter((element) => !selected.includes(element as Doc));
    } else {
      for (const element of selected) {
        Reflect.deleteProperty(element, sub.name);
      }
    }
    return;
  }
  if (selected.length === 0) {
    const seed = filter === undefined ? null : creatableFrom(filter);
    if (seed === null) {
      throw badRequest('noTarget', `No value of ${attribute.name} matches ${path.text}.`);
    }
    const created = sub === undefined ? { ...(canonicalSingle(attribute, value, path.text) as Doc), ...seed } : { ...seed, [sub.name]: value };
    list.push(created);
    doc[attribute.name] = list;
    keepOnePrimary(list, [created]);
    return;
  }
  const claimed: unknown[] = [];
  for (const element of selected) {
    if (sub !== undefined) {
      element[sub.name] = value;
      claimed.push(element);
    } else {
      const replacement = canonicalSingle(attribute, value, path.text) as Doc;
      const index = list.indexOf(element);
      list[index] = replacement;
      claimed.push(replacement);
    }
  }
  doc[attribute.name] = list;
  // Elements keep `primary` only when this operation set it (a value set under another sub-attribute claims nothing).
  keepOnePrimary(list, sub === undefined || sub.name === 'primary' ? claimed : []);
}

function applySingular(doc: Doc, op: PatchOperation['op'], path: PatchPath, value: unknown): void {
  const { attribute, sub } = path;
  if (sub !== undefined) {
    const current = isDoc(doc[attribute.name]) ? (doc[attribute.name] as Doc) : {};
    if (op === 'remove') {
      Reflect.deleteProperty(current, sub.name);
    } else {
      current[sub.name] = value;
    }
    doc[attribute.name] = current;
    return;
  }
  if (op === 'remove') {
    Reflect.deleteProperty(doc, attribute.name);
    return;
  }
  if (attribute.type === 'complex') {
    // A complex value replaces or adds the sub-attributes it names; the others stay (RFC 7644 §3.5.2.3).
    const current = isDoc(doc[attribute.name]) ? (doc[attribute.name] as Doc) : {};
    doc[attribute.name] = value === null ? {} : { ...current, ...(canonicalSingle(attribute, value, path.text) as Doc) };
    return;
  }
  doc[attribute.name] = value;
}
