import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';

type Document = { openapi: string; info: { version: string }; paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>> };

/** The served OpenAPI document: valid OpenAPI 3.1, and every route of the route table in it, with its contract. */
describe('GET /provider/v1/openapi.json', () => {
  let t: TestApp;
  let document: Document;

  beforeAll(async () => {
    t = await buildTestApp();
    const response = await t.app.inject({ method: 'GET', url: '/provider/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json<Document>();
  });

  afterAll(async () => {
    await t.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists every route of the route table, each with a declared contract, and nothing else', () => {
    const routes = t.app.routeTable;
    expect(routes.length).toBeGreaterThan(70);
    const missingContract = routes.filter((route) => route.contract === undefined).map((route) => `${route.method} ${route.url}`);
    expect(missingContract).toEqual([]);
    const served = new Set(routes.map((route) => `${route.method.toLowerCase()} ${route.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`));
    const documented = new Set(Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)));
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
  });

  it('says which credential each route takes: tenant routes never an operator session', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schemes = operation.security.flatMap((requirement) => Object.keys(requirement as Record<string, unknown>));
        if (path.startsWith('/v1/') || path.startsWith('/scim/') || path.startsWith('/agent/')) expect(schemes, `${method} ${path}`).not.toContain('operator');
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain('default');
      }
    }
  });
});
