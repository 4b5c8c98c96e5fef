import type { RouteSpec } from './route-catalog';

/**
 * The kinds of identifier a tenant has that another tenant could try: its own name (slug or id),
 * the ids of what it owns, what its SCIM directory calls its people and groups, and the cursors its
 * lists gave it.
 */
export type IdKind = 'tenant' | 'test' | 'agent' | 'pool' | 'scim-token' | 'recovery' | 'break-glass' | 'scim-user' | 'scim-group' | 'user-filter' | 'group-filter' | 'cursor';

/** Every kind that names one of a tenant's objects (tried where the probe cannot tell which kind a parameter takes). */
export const referenceKinds: readonly IdKind[] = ['tenant', 'test', 'agent', 'pool', 'scim-token', 'recovery', 'break-glass', 'scim-user', 'scim-group'];

/** A place in a request where another tenant's identifier can go. */
export interface Slot {
  in: 'path' | 'query' | 'body';
  /** The parameter's name, or the body field's path (`results[].test_id`, `members[].value`). */
  name: string;
  kinds: IdKind[];
  /**
   * `reference`: the value names one of the victim's objects; the answer is compared with the answer
   * for a nonexistent one. `opaque`: a value the victim was handed (a cursor): the answer must carry
   * none of the victim's data, but it may differ from a made-up value's (a made-up cursor is malformed).
   */
  mode: 'reference' | 'opaque';
  /** How the probe knew what goes there: the parameter's name, the collection before `{id}`, not at all (every kind is tried), or the probe's own tenant selector. */
  matched: 'name' | 'collection' | 'spray' | 'selector';
}

/** Parameter and field names that say which object they name. */
const NAMED: Record<string, IdKind[]> = {
  tenant: ['tenant'],
  tenant_id: ['tenant'],
  test_id: ['test'],
  agent_id: ['agent'],
  pool_id: ['pool'],
  request_id: ['break-glass'],
  recovery_id: ['recovery'],
  user_id: ['scim-user'],
  group_id: ['scim-group'],
};

/** `{id}` after these collection names. */
const COLLECTIONS: Record<string, IdKind[]> = {
  tests: ['test'],
  agents: ['agent'],
  'agent-pools': ['pool'],
  'scim-tokens': ['scim-token'],
  recoveries: ['recovery'],
  'break-glass': ['break-glass'],
  Users: ['scim-user'],
  Groups: ['scim-group'],
  // Not a tenant's: provider operators and SCIM's fixed schema documents. No tenant id can name them.
  operators: [],
  Schemas: [],
  ResourceTypes: [],
};

/**
 * Parameters that are not identifiers of anything a tenant owns: positions in a ledger (`seq`: every
 * tenant's ledger has a seq 1), paging, windows and filters by kind.
 */
const NOT_IDS = new Set(['seq', 'limit', 'state', 'from', 'to', 'event_type', 'startIndex', 'count', 'attributes', 'excludedAttributes']);

function pathSlot(route: RouteSpec, name: string): Slot | null {
  if (NOT_IDS.has(name)) return null;
  const named = NAMED[name];
  if (named !== undefined) return { in: 'path', name, kinds: named, mode: 'reference', matched: 'name' };
  const segments = route.path.split('/');
  const before = segments[segments.indexOf(`{${name}}`) - 1] ?? '';
  const collection = COLLECTIONS[before];
  if (collection !== undefined) return collection.length === 0 ? null : { in: 'path', name, kinds: collection, mode: 'reference', matched: 'collection' };
  // A parameter the probe has no word for: every kind of id is tried in it.
  return { in: 'path', name, kinds: [...referenceKinds], mode: 'reference', matched: 'spray' };
}

function querySlot(route: RouteSpec, name: string): Slot | null {
  const named = NAMED[name];
  if (named !== undefined) return { in: 'query', name, kinds: named, mode: 'reference', matched: 'name' };
  if (name === 'cursor') return { in: 'query', name, kinds: ['cursor'], mode: 'opaque', matched: 'name' };
  if (name === 'filter') {
    const collection = route.path.split('/').at(-1);
    if (collection === 'Users') return { in: 'query', name, kinds: ['user-filter'], mode: 'reference', matched: 'collection' };
    if (collection === 'Groups') return { in: 'query', name, kinds: ['group-filter'], mode: 'reference', matched: 'collection' };
  }
  return null;
}

/** Body fields (at any depth, through arrays) whose names say what they name. */
function bodySlots(schema: Record<string, unknown>, prefix: string, depth: number, out: Slot[]): void {
  if (depth > 6) return;
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [name, property] of Object.entries(properties ?? {})) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const named = NAMED[name];
    if (named !== undefined) out.push({ in: 'body', name: path, kinds: named, mode: 'reference', matched: 'name' });
    bodySlots(property, path, depth + 1, out);
    const items = property.items as Record<string, unknown> | undefined;
    if (items !== undefined) bodySlots(items, `${path}[]`, depth + 1, out);
  }
}

const SCIM_MEDIA = 'application/scim+json';

/**
 * Where another tenant's ids can go in this route, from the served document: its path and query
 * parameters and its body's fields. SCIM bodies are untyped in the document; RFC 7643 says a group
 * names its members by user id (`members[].value`), so group writes carry one.
 */
export function slotsOf(route: RouteSpec): Slot[] {
  const slots: Slot[] = [];
  for (const param of route.params) {
    const slot = param.in === 'path' ? pathSlot(route, param.name) : querySlot(route, param.name);
    if (slot !== null) slots.push(slot);
  }
  if (route.body !== null) {
    if (route.body.mediaType === SCIM_MEDIA && /\/Groups(\/\{[^}]+\})?$/.test(route.path) && route.method !== 'DELETE') {
      slots.push({ in: 'body', name: 'members[].value', kinds: ['scim-user'], mode: 'reference', matched: 'collection' });
    } else {
      bodySlots(route.body.schema, '', 0, slots);
    }
  }
  return slots;
}

/**
 * The probe's own tenant selector: `?tenant=<victim>` on a route that has no tenant parameter of its
 * own (a grant's documented selector on telemetry reads; on any other route, a selector no route
 * should honour). It gives every route at least one cross-tenant input.
 */
export function selectorSlot(slots: readonly Slot[]): Slot | null {
  if (slots.some((slot) => slot.kinds.includes('tenant') && slot.in !== 'body')) return null;
  return { in: 'query', name: 'tenant', kinds: ['tenant'], mode: 'reference', matched: 'selector' };
}
