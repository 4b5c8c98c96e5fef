import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/control-plane-harness';

/**
 * Random bodies, queries, path values and content types at every route of the route table,
 * with an admin session, a tenant token and no credentials: nothing may answer 5xx, and every
 * error must be the contract's envelope.
 */
describe('bad input never yields a 5xx (fast-check over the whole route table)', () => {
  let t: TestApp;
  let credentials: Record<string, string>[];

  beforeAll(async () => {
    t = await buildTestApp();
    const admin = await t.adminHeaders();
    for (const [slug, isolation_model] of [
      ['fuzz-pooled', 'pooled'],
      ['fuzz-siloed', 'siloed'],
    ] as const) {
      await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug, name: slug, isolation_model } });
    }
    const token = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/fuzz-pooled/admin-tokens', headers: admin, payload: { expires_in_seconds: 3600 } });
    credentials = [admin, { authorization: `Bearer ${token.json<{ token: string }>().token}` }, {}];
  });

  afterAll(async () => {
    await t.close();
  });

  const pathValue = fc.oneof(
    fc.constantFrom('fuzz-pooled', 'fuzz-siloed', '00000000-0000-4000-8000-000000000000', '1', '0', '-1', '%00', '..', 'NaN', '9'.repeat(30)),
    fc.string({ maxLength: 40 }).map((value) => encodeURIComponent(value) || 'x'),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => ({ type: 'application/json', payload: JSON.stringify(value) })),
    fc.record({ slug: fc.string(), name: fc.anything(), isolation_model: fc.string(), quotas: fc.anything(), reason: fc.anything(), expires_in_seconds: fc.anything() }).map((value) => ({
      type: 'application/json',
      payload: JSON.stringify(value),
    })),
    fc.string({ maxLength: 200 }).map((value) => ({ type: 'application/json', payload: value })),
    fc.string({ maxLength: 200 }).map((value) => ({ type: 'text/plain', payload: value })),
    fc.constant({ type: 'application/x-www-form-urlencoded', payload: 'a=1&b=2' }),
    fc.constant({ type: 'application/json', payload: '{"a":' + '['.repeat(5000) }),
  );
  const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'state', 'tenant', 'event_type', 'format', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 3 });

  it('holds for every route', { timeout: 240_000 }, async () => {
    const routes = t.app.routeTable;
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(pathValue, body, query, fc.integer({ min: 0, max: 2 }), async (value, payload, params, who) => {
          const url = route.url.replace(/:[a-z_]+/g, value) + '?' + new URLSearchParams(params).toString();
          const withBody = route.method !== 'GET' && route.method !== 'DELETE';
          const response = await t.app.inject({
            method: route.method as 'GET',
            url,
            headers: { ...credentials[who], ...(withBody ? { 'content-type': payload.type } : {}) },
            ...(withBody ? { payload: payload.payload } : {}),
          });
          expect(response.statusCode, `${route.method} ${url} → ${response.body.slice(0, 200)}`).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(response.json<{ error: { code: string } }>().error.code, `${route.method} ${url}`).toMatch(/^[a-z_]+$/);
          }
        }),
        { numRuns: route.url.includes('/auth/login') ? 10 : 25 },
      );
    }
  });
});
