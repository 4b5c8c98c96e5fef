import { describe, expect, it } from 'vitest';
import { fixtureRoute } from './fixture-routes';
import { referenceKinds, selectorSlot, slotsOf } from './slots';

const shown = (key: string) => slotsOf(fixtureRoute(key)).map((slot) => `${slot.in}:${slot.name}=${slot.kinds.join('|')}/${slot.mode}/${slot.matched}`);

describe('where another tenant’s identifiers can go', () => {
  it('reads slots from parameter names, the collection before {id}, and body fields at any depth', () => {
    expect(shown('GET /provider/v1/tenants/{tenant}')).toEqual(['path:tenant=tenant/reference/name']);
    expect(shown('DELETE /v1/tests/{id}')).toEqual(['path:id=test/reference/collection']);
    expect(shown('GET /v1/telemetry/results')).toEqual(['query:test_id=test/reference/name', 'query:cursor=cursor/opaque/name']);
    expect(shown('POST /agent/v1/ingest')).toEqual(['body:results[].test_id=test/reference/name']);
    // SCIM bodies are untyped in the document: RFC 7643 says group members are user ids.
    expect(shown('PATCH /scim/v2/Groups/{id}')).toEqual(['path:id=scim-group/reference/collection', 'body:members[].value=scim-user/reference/collection']);
  });

  it('tries every kind of id in a path parameter it has no word for, and none in one that names no tenant object', () => {
    expect(slotsOf(fixtureRoute('GET /v1/widgets/{widget}'))[0]).toMatchObject({ kinds: [...referenceKinds], matched: 'spray' });
    // A ledger position: every tenant has a seq 1.
    expect(slotsOf(fixtureRoute('GET /provider/v1/audit/proof/{seq}'))).toEqual([]);
    expect(slotsOf(fixtureRoute('GET /healthz'))).toEqual([]);
  });

  it('adds the ?tenant= selector to every route without a tenant parameter of its own', () => {
    expect(selectorSlot(slotsOf(fixtureRoute('GET /healthz')))).toMatchObject({ in: 'query', name: 'tenant', matched: 'selector' });
    expect(selectorSlot(slotsOf(fixtureRoute('POST /v1/tests')))).not.toBeNull();
    expect(selectorSlot(slotsOf(fixtureRoute('GET /provider/v1/tenants/{tenant}')))).toBeNull();
  });
});
