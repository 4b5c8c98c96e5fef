import { parse, type Filter } from 'scim2-parse-filter';
import { badRequest } from './scim-error';
import { commonAttributes, findAttribute, type AttributeDef, type ResourceDef } from './schemas';

/**
 * SCIM filters (RFC 7644 §3.4.2.2). The grammar is parsed by `scim2-parse-filter`; this module
 * checks the parsed tree against our schemas (unknown attributes and type mismatches are
 * `400 invalidFilter`, never a silent non-match) and evaluates it with RFC 7643 semantics:
 * attribute names case-insensitive, string values compared case-insensitively unless the
 * attribute is caseExact (id, externalId, member ids).
 */

/** Longest filter accepted: the parser is not linear on pathological input, and real filters are short. */
export const MAX_FILTER_LENGTH = 2048;

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** An attribute path resolved against the schema: the top attribute and, maybe, one sub-attribute. */
export interface ResolvedPath {
  top: AttributeDef;
  sub: AttributeDef | undefined;
}

export type FilterNode =
  | { kind: 'and' | 'or'; nodes: FilterNode[] }
  | { kind: 'not'; node: FilterNode }
  | { kind: 'present'; path: ResolvedPath }
  | { kind: 'compare'; op: CompareOp; path: ResolvedPath; value: string | boolean }
  | { kind: 'valuePath'; attribute: AttributeDef; filter: FilterNode };

/** Where attribute names are looked up: a resource's attributes, or a multi-valued attribute's sub-attributes. */
export interface FilterScope {
  attributes: readonly AttributeDef[];
  /** The schema URN a fully qualified name may carry (resource scopes only). */
  schema?: string;
}

export function resourceScope(resource: ResourceDef): FilterScope {
  return { attributes: [...resource.attributes, ...commonAttributes], schema: resource.schema };
}

export function subScope(attribute: AttributeDef): FilterScope {
  return { attributes: attribute.subAttributes ?? [] };
}

function invalid(detail: string): Error {
  return badRequest('invalidFilter', detail);
}

/** Whether text has a C0 control character or DEL. */
export function hasControlCharacters(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Parses filter text; anything the grammar or our schema refuses is `400 invalidFilter`. */
export function parseFilter(text: string, scope: FilterScope): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) {
    throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  }
  // Control characters never belong in a filter (and raw newlines make the parser backtrack).
  if (hasControlCharacters(text)) {
    throw invalid('The filter contains control characters.');
  }
  if (text.trim() === '') {
    throw invalid('The filter is empty.');
  }
  let tree: Filter;
  try {
    tree = parse(text);
  } catch (error) {
    throw invalid(`The filter is not valid SCIM filter syntax: ${error instanceof Error ? error.message.slice(0, 200) : 'parse error'}.`);
  }
  return convert(tree, scope);
}

/** Resolves `[urn:...:]attr[.sub]` in a scope. */
export function resolvePath(path: string, scope: FilterScope): ResolvedPath {
  let rest = path;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    const urn = path.slice(0, colon);
    if (scope.schema === undefined || urn.toLowerCase() !== scope.schema.toLowerCase()) {
      throw invalid(`Unknown schema in attribute path ${path}.`);
    }
    rest = path.slice(colon + 1);
  }
  const names = rest.split('.');
  const [topName, subName, extra] = names;
  if (topName === undefined || topName === '' || extra !== undefined || subName === '') {
    throw invalid(`Invalid attribute path ${path}.`);
  }
  const top = findAttribute(scope.attributes, topName);
  if (top === undefined) {
    throw invalid(`Unknown attribute ${topName}.`);
  }
  if (subName === undefined) {
    return { top, sub: undefined };
  }
  const sub = top.type === 'complex' ? findAttribute(top.subAttributes ?? [], subName) : undefined;
  if (sub === undefined) {
    throw invalid(`Unknown attribute ${topName}.${subName}.`);
  }
  return { top, sub };
}

/** The attribute a comparison applies to: a multi-valued complex attribute compares its `value` (RFC 7644 §3.4.2.2). */
function compared(path: ResolvedPath): AttributeDef {
  if (path.sub !== undefined) return path.sub;
  if (path.top.type === 'complex') {
    const value = path.top.multiValued ? findAttribute(path.top.subAttributes ?? [], 'value') : undefined;
    if (value === undefined) {
      throw invalid(`${path.top.name} is complex: compare one of its sub-attributes.`);
    }
    return value;
  }
  return path.top;
}

function convert(filter: Filter, scope: FilterScope): FilterNode {
  switch (filter.op) {
    case 'and':
    case 'or': {
      const { filters } = filter as { filters: Filter[] };
      // The parser turns `emails[type eq "work"].value eq "x"` into `emails[...] and emails.value eq "x"`:
      // read it back as one condition on the same element.
      const [first, second] = filters;
      if (filter.op === 'and' && filters.length === 2 && first?.op === '[]' && second !== undefined && 'attrPath' in second && second.op !== '[]') {
        const prefix = `${(first as { attrPath: string }).attrPath}.`;
        const attrPath = (second as { attrPath: string }).attrPath;
        if (attrPath.toLowerCase().startsWith(prefix.toLowerCase())) {
          const inner = { ...second, attrPath: attrPath.slice(prefix.length) } as Filter;
          const valFilter = (first as { valFilter: Filter }).valFilter;
          return convert({ op: '[]', attrPath: (first as { attrPath: string }).attrPath, valFilter: { op: 'and', filters: [valFilter, inner] } }, scope);
        }
      }
      return { kind: filter.op, nodes: filters.map((child) => convert(child, scope)) };
    }
    case 'not':
      return { kind: 'not', node: convert((filter as { filter: Filter }).filter, scope) };
    case '[]': {
      const { attrPath, valFilter } = filter as { attrPath: string; valFilter: Filter };
      const path = resolvePath(attrPath, scope);
      if (path.sub !== undefined || path.top.type !== 'complex' || !path.top.multiValued) {
        throw invalid(`${attrPath}[...] needs a multi-valued complex attribute.`);
      }
      return { kind: 'valuePath', attribute: path.top, filter: convert(valFilter, subScope(path.top)) };
    }
    case 'pr':
      return { kind: 'present', path: resolvePath((filter as { attrPath: string }).attrPath, scope) };
    case 'eq':
    case 'ne':
    case 'co':
    case 'sw':
    case 'ew':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const { attrPath, compValue } = filter as { attrPath: string; compValue: unknown };
      const path = resolvePath(attrPath, scope);
      const target = compared(path);
      const op = filter.op;
      if (target.type === 'boolean') {
        if (op !== 'eq' && op !== 'ne') {
          throw invalid(`${attrPath} is a boolean: only eq, ne and pr apply.`);
        }
        const value = typeof compValue === 'string' && /^(true|false)$/i.test(compValue) ? compValue.toLowerCase() === 'true' : compValue;
        if (typeof value !== 'boolean') {
          throw invalid(`${attrPath} is a boolean: compare it with true or false.`);
        }
        return { kind: 'compare', op, path, value };
      }
      if (target.type === 'complex') {
        throw invalid(`${attrPath} is complex: compare one of its sub-attributes.`);
      }
      if (typeof compValue !== 'string') {
        throw invalid(`${attrPath} is a string: compare it with a quoted string.`);
      }
      return { kind: 'compare', op, path, value: compValue };
    }
    default:
      throw invalid(`Unsupported filter operator ${String((filter as { op: unknown }).op)}.`);
  }
}

type Doc = Record<string, unknown>;

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values of a path in a resource document (documents use the schema's canonical names); arrays are flattened. */
function valuesAt(doc: Doc, path: ResolvedPath): unknown[] {
  const top = doc[path.top.name];
  const tops = Array.isArray(top) ? (top as unknown[]) : top === undefined || top === null ? [] : [top];
  const leaf = path.sub ?? (path.top.type === 'complex' && path.top.multiValued ? findAttribute(path.top.subAttributes ?? [], 'value') : undefined);
  if (leaf === undefined) {
    return tops;
  }
  return tops.flatMap((element) => {
    const value = isDoc(element) ? element[leaf.name] : undefined;
    return value === undefined || value === null ? [] : [value];
  });
}

function present(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.some(present);
  if (isDoc(value)) return Object.values(value).some(present);
  return true;
}

function compareOne(op: CompareOp, actual: unknown, expected: string | boolean, caseExact: boolean): boolean {
  if (typeof expected === 'boolean') {
    return typeof actual === 'boolean' && actual === expected;
  }
  if (typeof actual !== 'string') {
    return false;
  }
  const a = caseExact ? actual : actual.toLowerCase();
  const e = caseExact ? expected : expected.toLowerCase();
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
  }
}

/** Whether a resource document (or a multi-valued attribute's element) matches. */
export function matches(node: FilterNode, doc: Doc): boolean {
  switch (node.kind) {
    case 'and':
      return node.nodes.every((child) => matches(child, doc));
    case 'or':
      return node.nodes.some((child) => matches(child, doc));
    case 'not':
      return !matches(node.node, doc);
    case 'present':
      return valuesAt(doc, node.path).some(present);
    case 'valuePath': {
      const elements = doc[node.attribute.name];
      return Array.isArray(elements) && elements.some((element) => isDoc(element) && matches(node.filter, element));
    }
    case 'compare': {
      const caseExact = compared(node.path).caseExact;
      const values = valuesAt(doc, node.path);
      if (node.op === 'ne') {
        // "not equal" holds when no value is equal (an absent attribute is not equal to anything).
        return !values.some((value) => compareOne('eq', value, node.value, caseExact));
      }
      return values.some((value) => compareOne(node.op, value, node.value, caseExact));
    }
  }
}

/** An indexed lookup that narrows the candidates before the whole filter is evaluated. */
export interface Lookup {
  attribute: 'id' | 'externalId' | 'userName' | 'displayName';
  value: string;
}

const lookupAttributes: Record<string, Lookup['attribute']> = { id: 'id', externalid: 'externalId', username: 'userName', displayname: 'displayName' };

/**
 * The `attr eq "value"` (alone or as one term of an `and`) that storage can answer from an index:
 * what identity providers send before every create. Case-insensitive attributes qualify only with
 * ASCII values, where the database's lower() and ours agree.
 */
export function indexedLookup(node: FilterNode, resource: ResourceDef): Lookup | null {
  if (node.kind === 'and') {
    for (const child of node.nodes) {
      const found = indexedLookup(child, resource);
      if (found !== null) return found;
    }
    return null;
  }
  if (node.kind !== 'compare' || node.op !== 'eq' || node.path.sub !== undefined || typeof node.value !== 'string') {
    return null;
  }
  const attribute = lookupAttributes[node.path.top.name.toLowerCase()];
  if (attribute === undefined || (attribute === 'userName' && resource.name !== 'User') || (attribute === 'displayName' && resource.name !== 'Group')) {
    return null;
  }
  if (!node.path.top.caseExact && !/^[\u0020-\u007e]*$/.test(node.value)) {
    return null;
  }
  return { attribute, value: node.value };
}
