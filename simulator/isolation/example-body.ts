import type { JsonSchema } from './route-catalog';

/** What to put where: a body field's path (`results[].test_id`) and its value, and the rest's filler. */
export interface ExampleOptions {
  /** The field that carries the attempt's value, and the value. */
  slot?: { path: string; value: string };
  /** A word unique to the attempt, in every free-text field (so two attempts never collide on a unique name). */
  tag: string;
  /** An instant for date-time fields. */
  now: Date;
}

/** Strings tried, in order, for a field with a pattern (the first the pattern accepts wins). */
const CANDIDATES = (tag: string) => [`probe-${tag}`, `probe${tag}`.replace(/[^a-z0-9]/g, ''), 'probe', 'a1', '000000', 'a'];

function stringFor(schema: JsonSchema, options: ExampleOptions): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 200;
  switch (schema.format) {
    case 'uuid':
      // A well-formed id nothing has (the slot's value replaces it where an id matters).
      return '00000000-0000-4000-8000-000000000000';
    case 'date-time':
      return options.now.toISOString();
    case 'email':
      return `probe-${options.tag}@probe.invalid`;
    case 'uri':
      // Loopback and the discard port: a control plane that fetched it would reach nothing.
      return `https://127.0.0.1:9/probe-${options.tag}`;
  }
  const fits = (value: string) => value.length >= min && value.length <= max && (typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(value));
  const found = CANDIDATES(options.tag).find(fits);
  if (found !== undefined) return found;
  return 'a'.repeat(Math.max(1, min));
}

function numberFor(schema: JsonSchema): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
  const max = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
  return Math.min(Math.max(min, 1), max);
}

function build(schema: JsonSchema, path: string, options: ExampleOptions, depth: number): unknown {
  if (options.slot !== undefined && options.slot.path === path) return options.slot.value;
  if (depth > 8) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const choices = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(choices)) {
    const choice = choices.find((option) => option.type !== 'null') ?? choices[0];
    return choice === undefined ? null : build(choice, path, options, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((entry) => entry !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) {
        const childPath = path === '' ? name : `${path}.${name}`;
        // Required fields, and the field on the way to the slot.
        const onTheWay = options.slot !== undefined && (options.slot.path === childPath || options.slot.path.startsWith(`${childPath}.`) || options.slot.path.startsWith(`${childPath}[]`));
        if (required.has(name) || onTheWay) out[name] = build(property, childPath, options, depth + 1);
      }
      return out;
    }
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const onTheWay = options.slot !== undefined && options.slot.path.startsWith(`${path}[]`);
      const count = Math.max(typeof schema.minItems === 'number' ? schema.minItems : 0, onTheWay ? 1 : 0);
      return Array.from({ length: count }, () => build(items, `${path}[]`, options, depth + 1));
    }
    case 'string':
      return stringFor(schema, options);
    case 'integer':
    case 'number':
      return numberFor(schema);
    case 'boolean':
      // false: the harmless choice for flags such as confirm_identity.
      return false;
    case 'null':
      return null;
    default:
      return {};
  }
}

/**
 * A request body the schema accepts, from the served document's JSON Schema: required fields only
 * (and the fields on the way to the slot), each with a plain value, the slot's field with the
 * attempt's value. So an attempt passes validation and reaches the route's tenant checks.
 */
export function exampleBody(schema: JsonSchema, options: ExampleOptions): unknown {
  return build(schema, '', options, 0);
}

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * A SCIM body (RFC 7643/7644) for a route under /scim/v2: the document types these loosely, so the
 * probe writes what an IdP sends. A group's members carry `member` (a user id) when given.
 */
export function scimBody(method: string, path: string, options: { tag: string; member?: string }): unknown {
  const members = options.member === undefined ? [] : [{ value: options.member }];
  const groups = /\/Groups(\/\{[^}]+\})?$/.test(path);
  if (method === 'PATCH') {
    return groups
      ? { schemas: [SCIM_PATCH], Operations: [{ op: 'add', path: 'members', value: members }] }
      : { schemas: [SCIM_PATCH], Operations: [{ op: 'replace', value: { displayName: `Probe ${options.tag}` } }] };
  }
  return groups ? { schemas: [SCIM_GROUP], displayName: `probe-${options.tag}`, members } : { schemas: [SCIM_USER], userName: `probe-${options.tag}@probe.invalid`, active: true };
}
