import { z } from 'zod';
import { ErrorEnvelope } from '../../contracts/errors';
import type { Credential, ResponseBody } from './route-contract';
import type { RouteEntry } from './route-table';

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const securitySchemes: Record<Exclude<Credential, 'none'>, { description: string }> = {
  operator: { description: 'An operator session (`bho_`) from POST /provider/v1/auth/login (password and TOTP).' },
  metrics: { description: 'An operator session (`bho_`) whose role reads fairness, or the scrape token (`bhm_`) given to `serve --metrics-token-file`.' },
  tenant: { description: "A tenant credential (`bht_`): a tenant-admin token, or a person's session from the tenant's own IdP." },
  'tenant-or-grant': { description: "A tenant person's session (`bht_`) with the permission, or an operator's active break-glass grant (`bhg_`) for the tenant." },
  scim: { description: "The tenant's SCIM token (`bhs_`), minted by a tenant admin for its IdP." },
  agent: { description: "An agent's token (`bha_`) from POST /agent/v1/enroll." },
  portal: { description: 'The tenant portal\'s session cookie `__Host-bh_portal` (`bhp_`), from GET /portal/callback. The /v1 tenant routes take it instead of a bearer (never both); state-changing calls also need `X-Bulkhead-CSRF` from GET /portal/session and a same-origin request.' },
};

/** How a credential travels: a bearer token, or the portal's cookie. */
function securityScheme(name: string, description: string): Record<string, string> {
  return name === 'portal' ? { type: 'apiKey', in: 'cookie', name: '__Host-bh_portal', description } : { type: 'http', scheme: 'bearer', description };
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect); `io` picks input (requests) or output (answers). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

/** The members of an object schema as OpenAPI parameters (path or query). */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Operation[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: property }));
}

/** `:tenant` (fastify) → `{tenant}` (OpenAPI). */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function responseBody(status: string, schema: ResponseBody, mediaType: string): Operation {
  if (schema === null) return { description: status === '302' ? 'A redirect' : 'No content' };
  if (schema === 'text') return { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } };
  if (schema === 'pdf') return { description: 'A PDF document', content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } } };
  if ('csv' in schema) {
    return { description: 'OK: CSV (format=csv, header first, CRLF) or JSON (format=json)', content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: jsonSchema(schema.json, 'output') } } };
  }
  return { description: 'OK', content: { [mediaType]: { schema: jsonSchema(schema, 'output') } } };
}

function operation(route: RouteEntry): Operation {
  const routeContract = route.contract;
  if (routeContract === undefined) throw new Error(`${route.method} ${route.url} declares no contract`);
  const mediaType = routeContract.mediaType ?? 'application/json';
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(routeContract.responses)) {
    responses[status] = responseBody(status, schema, mediaType);
  }
  responses.default = { description: 'An error: the envelope names its code', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
  return {
    summary: routeContract.summary,
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next: string | undefined) => (next ?? '').toUpperCase())}`,
    tags: [route.plane],
    parameters: [...parameters(routeContract.params, 'path'), ...parameters(routeContract.query, 'query')],
    ...(routeContract.body === undefined ? {} : { requestBody: { required: true, content: { [mediaType]: { schema: jsonSchema(routeContract.body, 'input') } } } }),
    responses,
    security: routeContract.credential === 'none' ? [] : [{ [routeContract.credential]: [] }],
  };
}

/** The OpenAPI 3.1 document of the routes this control plane serves, from their contracts. */
export function openApiDocument(routes: readonly RouteEntry[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bulkhead control plane',
      version,
      description:
        'The provider plane (/provider/v1, operator sessions), the tenant plane (/v1 and /scim/v2, the tenant\'s own credentials) and agents (/agent/v1). Operators never read tenant data: the only way in is a break-glass grant the tenant approves. Errors are {"error":{"code","message","details"}}.',
    },
    paths,
    components: {
      securitySchemes: Object.fromEntries(Object.entries(securitySchemes).map(([name, scheme]) => [name, securityScheme(name, scheme.description)])),
      schemas: { ErrorEnvelope: jsonSchema(ErrorEnvelope, 'output') },
    },
    tags: [
      { name: 'public', description: 'Health, readiness, metrics and this document.' },
      { name: 'provider', description: 'The provider plane: operators run the platform.' },
      { name: 'tenant', description: "The tenant plane: the tenant's own people, admins, SCIM client and agents." },
    ],
  };
}
