import { describe, expect, it } from 'vitest';
import { fixtureDocument, fixtureRoutes } from './fixture-routes';
import { routesOf } from './route-catalog';

describe('the route catalog, from an OpenAPI document', () => {
  it('lists one route per operation with its declared credential, plane, parameters and body', () => {
    const routes = fixtureRoutes();
    expect(routes.map((route) => route.key)).toEqual([
      'GET /healthz',
      'GET /provider/v1/tenants/{tenant}',
      'GET /provider/v1/audit/proof/{seq}',
      'DELETE /v1/tests/{id}',
      'GET /v1/telemetry/results',
      'GET /v1/widgets/{widget}',
      'PATCH /scim/v2/Groups/{id}',
      'POST /agent/v1/ingest',
      'POST /v1/tests',
    ]);
    expect(routes.map((route) => route.credential)).toEqual(['none', 'operator', 'operator', 'tenant', 'tenant-or-grant', 'tenant', 'scim', 'agent', 'tenant']);
    expect(routes.find((route) => route.key === 'GET /v1/telemetry/results')?.params.map((param) => `${param.in}:${param.name}`)).toEqual(['query:test_id', 'query:limit', 'query:cursor']);
    expect(routes.find((route) => route.key === 'PATCH /scim/v2/Groups/{id}')?.body?.mediaType).toBe('application/scim+json');
    expect(routesOf(fixtureDocument).version).toBe('9.9.9');
  });

  it('refuses what is not an OpenAPI 3 document, in one line', () => {
    expect(() => routesOf({ swagger: '2.0' })).toThrow(/not one the probe can read/);
    expect(() => routesOf({ ...fixtureDocument, paths: { '/x': { get: { parameters: 'nope' } } } })).toThrow(/GET \/x is not an operation/);
  });
});
