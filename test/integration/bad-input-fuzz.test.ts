import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/control-plane-harness';

/**
 * Random bodies, queries, path values and content types at every route of the route table,
 * with an admin session, a tenant token, a SCIM token and no credentials: nothing may answer 5xx,
 * and every error must be the contract's envelope, or, under /scim/v2, the SCIM error schema
 * (RFC 7644 §3.12) that SCIM clients expect.
 */
describe('bad input never yields a 5xx (fast-check over the whole route table)', () => {
  let t: TestApp;
  let credentials: Record<string, string>[];
  /** Ids that exist (a SCIM user and group), filled in once the app is up. */
  const knownIds: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    const admin = await t.adminHeaders();
    // fuzz-pooled is handed over (its person approves break-glass); fuzz-siloed is still onboarding.
    const tenantAdmin = await t.ownedTenantHeaders('fuzz-pooled', 'pooled');
    const onboarding = await t.tenantAdminHeaders('fuzz-siloed', 'siloed');
    const scimToken = await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: tenantAdmin, payload: { name: 'fuzz idp' } });
    const scim = { authorization: `Bearer ${scimToken.json<{ token: string }>().token}` };
    // Something for the SCIM routes' path values to find.
    const scimPost = (url: string, resource: object) =>
      t.app.inject({ method: 'POST', url, headers: { ...scim, 'content-type': 'application/scim+json' }, payload: JSON.stringify(resource) });
    const user = await scimPost('/scim/v2/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fuzz.user' });
    const group = await scimPost('/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'fuzzers', members: [{ value: user.json<{ id: string }>().id }] });
    knownIds.push(user.json<{ id: string }>().id, group.json<{ id: string }>().id);
    // A break-glass request, approved and activated by an operator other than the token's minter: its grant is a credential too.
    const oncall = await t.operatorHeaders('fuzz-oncall', ['provider_operator']);
    const opened = await t.app.inject({ method: 'POST', url: '/provider/v1/break-glass', headers: oncall, payload: { tenant: 'fuzz-pooled', reason: 'fuzz', scope: ['telemetry:read'], duration_minutes: 240 } });
    const requestId = opened.json<{ id: string }>().id;
    const approved = await t.app.inject({ method: 'POST', url: `/v1/break-glass/${requestId}/approve`, headers: await t.tenantUserHeaders(tenantAdmin, 'admin'), payload: {} });
    if (approved.statusCode !== 200) throw new Error(`approving: ${approved.statusCode} ${approved.body}`);
    const activated = await t.app.inject({ method: 'POST', url: `/provider/v1/break-glass/${requestId}/activate`, headers: oncall });
    const grant = { authorization: `Bearer ${activated.json<{ grant_token: string }>().grant_token}` };
    knownIds.push(requestId);
    credentials = [admin, tenantAdmin, onboarding, scim, oncall, grant, {}];
  });

  afterAll(async () => {
    await t.close();
  });

  const pathValue = fc.oneof(
    fc.constantFrom('fuzz-pooled', 'fuzz-siloed', '00000000-0000-4000-8000-000000000000', '1', '0', '-1', '%00', '..', 'NaN', '9'.repeat(30), 'urn:ietf:params:scim:schemas:core:2.0:User'),
    fc.string({ maxLength: 40 }).map((value) => encodeURIComponent(value) || 'x'),
    fc.nat().map((index) => knownIds[index % Math.max(1, knownIds.length)] ?? 'x'),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => ({ type: 'application/json', payload: JSON.stringify(value) })),
    fc.record({ slug: fc.string(), name: fc.anything(), isolation_model: fc.string(), quotas: fc.anything(), reason: fc.anything(), expires_in_seconds: fc.anything() }).map((value) => ({
      type: 'application/json',
      payload: JSON.stringify(value),
    })),
    // Break-glass bodies: requests, approvals and settings with random values.
    fc
      .record(
        {
          tenant: fc.oneof(fc.constantFrom('fuzz-pooled', 'fuzz-siloed'), fc.string(), fc.anything()),
          reason: fc.oneof(fc.string({ maxLength: 1100 }), fc.anything()),
          scope: fc.oneof(fc.constantFrom(['telemetry:read'], [], ['telemetry:read', 'telemetry:read'], ['x']), fc.anything()),
          duration_minutes: fc.oneof(fc.integer({ min: -5, max: 300 }), fc.double(), fc.anything()),
          required_approvals: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.anything()),
          comment: fc.anything(),
        },
        { requiredKeys: [] },
      )
      .map((value) => ({
      type: 'application/json',
      payload: JSON.stringify(value),
    })),
    fc.string({ maxLength: 200 }).map((value) => ({ type: 'application/json', payload: value })),
    fc.string({ maxLength: 200 }).map((value) => ({ type: 'text/plain', payload: value })),
    fc.constant({ type: 'application/x-www-form-urlencoded', payload: 'a=1&b=2' }),
    fc.constant({ type: 'application/json', payload: '{"a":' + '['.repeat(5000) }),
    // SCIM bodies: resources and PatchOps with random attributes, ops, paths and values.
    fc
      .record({
        schemas: fc.constantFrom(['urn:ietf:params:scim:schemas:core:2.0:User'], ['urn:ietf:params:scim:schemas:core:2.0:Group'], ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], 'x'),
        userName: fc.oneof(fc.string(), fc.anything()),
        displayName: fc.anything(),
        active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'false', 'maybe'), fc.anything()),
        emails: fc.anything(),
        members: fc.oneof(fc.array(fc.record({ value: fc.oneof(fc.uuid(), fc.string()) })), fc.anything()),
        Operations: fc.array(
          fc.record({
            op: fc.oneof(fc.constantFrom('add', 'Replace', 'REMOVE', 'move'), fc.anything()),
            path: fc.oneof(fc.constantFrom('active', 'members', 'emails[type eq "work"].value', 'members[value eq "x"]', 'name.givenName', 'id', 'emails[', 'a..b'), fc.string(), fc.anything()),
            value: fc.anything(),
          }),
          { maxLength: 4 },
        ),
      })
      .map((value) => ({ type: 'application/scim+json', payload: JSON.stringify(value) })),
  );
  const query = fc.dictionary(
    fc.constantFrom('limit', 'cursor', 'state', 'tenant', 'event_type', 'format', 'x', 'filter', 'startIndex', 'count', 'attributes', 'excludedAttributes', 'test_id', 'from', 'to'),
    fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('userName eq "fuzz.user"', 'emails[type eq "work"].value co "a"', '(active eq true', 'members pr or not (id eq "1")')),
    { maxKeys: 3 },
  );

  it('answers a body nested 10,000 levels deep with 400 on every route that takes a body, and stays up', async () => {
    // About 20 KB: well under the body limit, deep enough to overflow a recursive walk.
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    for (const route of t.app.routeTable.filter((candidate) => candidate.method === 'POST' || candidate.method === 'PUT' || candidate.method === 'PATCH')) {
      const url = route.url.replace(/:[a-z_]+/g, knownIds[0] ?? 'x');
      for (const [who, payload] of [
        [credentials[0], deep],
        [credentials[1], deepObject],
        [{}, deepObject],
      ] as const) {
        const type = route.url.startsWith('/scim/v2') ? 'application/scim+json' : 'application/json';
        const response = await t.app.inject({ method: route.method as 'POST', url, headers: { ...who, 'content-type': type }, payload });
        expect(response.statusCode, `${route.method} ${url} → ${response.body.slice(0, 200)}`).toBeLessThan(500);
      }
    }
    // The unauthenticated routes of the finding answer 400 with a code (not 401: the body is refused first where it is read first).
    for (const url of ['/provider/v1/auth/login', '/agent/v1/enroll']) {
      const response = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: deepObject });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('holds for every route', { timeout: 240_000 }, async () => {
    const routes = t.app.routeTable;
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((route) => route.url.startsWith('/scim/v2/')).length).toBeGreaterThanOrEqual(16);
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(pathValue, body, query, fc.integer({ min: 0, max: credentials.length - 1 }), async (value, payload, params, who) => {
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
            const error = response.json<{ error?: { code: string }; schemas?: string[]; status?: string; detail?: string }>();
            if (route.url.startsWith('/scim/v2') && error.error === undefined) {
              // The SCIM error schema, with the HTTP status repeated as a string.
              expect(error.schemas, `${route.method} ${url}`).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
              expect(error.status, `${route.method} ${url}`).toBe(String(response.statusCode));
              expect(typeof error.detail, `${route.method} ${url}`).toBe('string');
            } else {
              expect(error.error?.code, `${route.method} ${url}`).toMatch(/^[a-z_]+$/);
            }
          }
        }),
        { numRuns: route.url.includes('/auth/login') ? 10 : route.url.startsWith('/scim/v2/') ? 60 : 25 },
      );
    }
  });
});
