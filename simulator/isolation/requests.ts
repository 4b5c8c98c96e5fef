import type { Method } from '../connection/api-client';
import { SeededRandom } from '../random';
import { exampleBody, scimBody } from './example-body';
import type { RouteSpec } from './route-catalog';
import { slotsOf, type IdKind, type Slot } from './slots';

/** One HTTP request of the probe. */
export interface ProbeRequest {
  method: Method;
  /** Path and query. */
  path: string;
  body?: unknown;
  contentType?: string;
}

/** The shape of an identifier: a baseline carries a nonexistent value of the same shape. */
export type ValueShape = 'slug' | 'uuid' | 'user-filter' | 'group-filter' | 'opaque';

export function shapeOf(kind: IdKind, pick: number): ValueShape {
  if (kind === 'tenant') return pick === 0 ? 'slug' : 'uuid';
  if (kind === 'user-filter' || kind === 'group-filter') return kind;
  if (kind === 'cursor') return 'opaque';
  return 'uuid';
}

/**
 * Values nothing on the control plane has, one per shape, drawn from the seed; and `fill`, another
 * nonexistent id for the path parameters an attempt does not attack (never equal to a baseline's
 * value, so blanking the value in an answer cannot blank the fill with it).
 */
export function nonexistentValues(seed: number): Record<Exclude<ValueShape, 'opaque'> | 'fill', string> {
  const random = new SeededRandom(seed).stream('isolation-probe/nonexistent');
  const hex = (length: number) => Array.from({ length }, () => random.int(0, 15).toString(16)).join('');
  const word = hex(10);
  // Version 4, variant 8: well-formed ids no server made.
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
  return {
    uuid: uuid(),
    fill: uuid(),
    slug: `nx-${word}`,
    'user-filter': `userName eq "nobody-${word}@probe.invalid"`,
    'group-filter': `displayName eq "nobody-${word}"`,
  };
}

export interface RequestParts {
  route: RouteSpec;
  /** The slot the attempt attacks and the value it carries. */
  slot: Slot;
  value: string;
  /** The attacker's own identifiers, where a body slot is attacked (its own group, then the victim's member in it). */
  own: ((kind: IdKind) => string | undefined) | null;
  /** Fills every other identifier slot: a nonexistent id. */
  nonexistentId: string;
  /** Unique per request: goes into every free-text field. */
  tag: string;
  now: Date;
}

const SCIM_MEDIA = 'application/scim+json';

/**
 * The request of one attempt: the victim's value in the attacked slot; every other path identifier
 * nonexistent, or the attacker's own when the attack is in the body (adding another tenant's person
 * to one's own group is the attack, not a group nobody has); required query parameters filled from
 * their schema. A body is built valid from the document when the request names an object by path or
 * carries the attacked value (so it reaches the tenant checks); otherwise, on a write that names
 * nothing, the body is `{}` and the attempt tests only the `?tenant=` selector, changing nothing.
 */
export function requestFor(parts: RequestParts): ProbeRequest {
  const { route, slot, value } = parts;
  const slots = slotsOf(route);
  const bodyAttack = slot.in === 'body';
  const pathParam = (name: string): string => {
    if (slot.in === 'path' && slot.name === name) return value;
    const own = slots.find((candidate) => candidate.in === 'path' && candidate.name === name);
    if (own !== undefined) {
      const ownValue = bodyAttack && parts.own !== null ? own.kinds.map((kind) => parts.own?.(kind)).find((found) => found !== undefined) : undefined;
      return ownValue ?? parts.nonexistentId;
    }
    const schema = route.params.find((param) => param.in === 'path' && param.name === name)?.schema;
    return schema?.type === 'integer' ? '1' : parts.nonexistentId;
  };
  const path = route.path.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(pathParam(name)));
  const query = new URLSearchParams();
  for (const param of route.params) {
    if (param.in !== 'query') continue;
    if (slot.in === 'query' && slot.name === param.name) continue;
    if (param.required) query.set(param.name, String(exampleBody(param.schema, { tag: parts.tag, now: parts.now })));
  }
  if (slot.in === 'query') query.set(slot.name, value);
  const search = query.toString();
  const request: ProbeRequest = { method: route.method, path: search === '' ? path : `${path}?${search}` };
  if (route.body === null) return request;
  const namesObject = route.path.includes('{');
  if (route.body.mediaType === SCIM_MEDIA) {
    request.contentType = SCIM_MEDIA;
    request.body = namesObject || bodyAttack ? scimBody(route.method, route.path, { tag: parts.tag, ...(bodyAttack ? { member: value } : {}) }) : {};
  } else {
    request.contentType = route.body.mediaType;
    request.body = namesObject || bodyAttack ? exampleBody(route.body.schema, { tag: parts.tag, now: parts.now, ...(bodyAttack ? { slot: { path: slot.name, value } } : {}) }) : {};
  }
  return request;
}
