import { describe, expect, it } from 'vitest';
import { exampleBody, scimBody } from './example-body';
import { fixtureRoute } from './fixture-routes';

const now = new Date('2026-05-01T10:00:00.000Z');

describe('example bodies from the served schemas', () => {
  it('fills required fields with values their schema accepts, and the slot with the attempt’s value', () => {
    const schema = fixtureRoute('POST /agent/v1/ingest').body?.schema ?? {};
    expect(exampleBody(schema, { tag: '42', now })).toEqual({ batch_id: 'probe-42' });
    expect(exampleBody(schema, { tag: '42', now, slot: { path: 'results[].test_id', value: 'victim-test' } })).toEqual({
      batch_id: 'probe-42',
      results: [{ test_id: 'victim-test', ts: '2026-05-01T10:00:00.000Z', latency_ms: 1, ok: false }],
    });
  });

  it('honours patterns, lengths, bounds, enums and formats, and points URLs at loopback', () => {
    const schema = {
      type: 'object',
      properties: {
        slug: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' },
        code: { type: 'string', pattern: '^\\d{6}$' },
        kind: { type: 'string', enum: ['http', 'dns'] },
        interval_s: { type: 'integer', minimum: 10, maximum: 86400 },
        issuer: { type: 'string', format: 'uri' },
        email: { type: 'string', format: 'email' },
        optional: { type: 'string' },
      },
      required: ['slug', 'code', 'kind', 'interval_s', 'issuer', 'email'],
    };
    expect(exampleBody(schema, { tag: '7', now })).toEqual({ slug: 'probe-7', code: '000000', kind: 'http', interval_s: 10, issuer: 'https://127.0.0.1:9/probe-7', email: 'probe-7@probe.invalid' });
  });

  it('writes SCIM bodies as an IdP sends them, a group’s member where given', () => {
    expect(scimBody('PATCH', '/scim/v2/Groups/{id}', { tag: '1', member: 'u-1' })).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: 'u-1' }] }] });
    expect(scimBody('PUT', '/scim/v2/Users/{id}', { tag: '1' })).toMatchObject({ userName: 'probe-1@probe.invalid', active: true });
    expect(scimBody('POST', '/scim/v2/Groups', { tag: '2' })).toMatchObject({ displayName: 'probe-2', members: [] });
  });
});
