import type { JsonSchema, RouteSpec } from './route-catalog';
import { routesOf } from './route-catalog';

const uuid: JsonSchema = { type: 'string', format: 'uuid' };

/**
 * A small OpenAPI document shaped like the control plane's (for unit tests of the probe's pure
 * parts; the integration tests read the real, served one).
 */
export const fixtureDocument = {
  openapi: '3.1.0',
  info: { title: 'fixture', version: '9.9.9' },
  paths: {
    '/healthz': { get: { tags: ['public'], security: [] } },
    '/provider/v1/tenants/{tenant}': { get: { tags: ['provider'], security: [{ operator: [] }], parameters: [{ name: 'tenant', in: 'path', required: true, schema: { type: 'string' } }] } },
    '/provider/v1/audit/proof/{seq}': { get: { tags: ['provider'], security: [{ operator: [] }], parameters: [{ name: 'seq', in: 'path', required: true, schema: { type: 'integer' } }] } },
    '/v1/tests/{id}': { delete: { tags: ['tenant'], security: [{ tenant: [] }], parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }] } },
    '/v1/telemetry/results': {
      get: {
        tags: ['tenant'],
        security: [{ 'tenant-or-grant': [] }],
        parameters: [
          { name: 'test_id', in: 'query', required: false, schema: uuid },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
        ],
      },
    },
    '/v1/widgets/{widget}': { get: { tags: ['tenant'], security: [{ tenant: [] }], parameters: [{ name: 'widget', in: 'path', required: true, schema: { type: 'string' } }] } },
    '/scim/v2/Groups/{id}': {
      patch: { tags: ['tenant'], security: [{ scim: [] }], parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { content: { 'application/scim+json': { schema: { type: 'object' } } } } },
    },
    '/agent/v1/ingest': {
      post: {
        tags: ['tenant'],
        security: [{ agent: [] }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  batch_id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
                  results: { type: 'array', items: { type: 'object', properties: { test_id: uuid, ts: { type: 'string', format: 'date-time' }, latency_ms: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] }, ok: { type: 'boolean' } }, required: ['test_id', 'ts', 'latency_ms', 'ok'] } },
                },
                required: ['batch_id'],
              },
            },
          },
        },
      },
    },
    '/v1/tests': { post: { tags: ['tenant'], security: [{ tenant: [] }], requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] } } } } } },
  },
};

export const fixtureRoutes = (): RouteSpec[] => routesOf(fixtureDocument).routes;

export function fixtureRoute(key: string): RouteSpec {
  const route = fixtureRoutes().find((candidate) => candidate.key === key);
  if (route === undefined) throw new Error(`no fixture route ${key}`);
  return route;
}
