import { describe, expect, it } from 'vitest';
import { fixtureRoute } from './fixture-routes';
import { nonexistentValues, requestFor, shapeOf } from './requests';
import { selectorSlot, slotsOf } from './slots';

const now = new Date('2026-05-01T10:00:00.000Z');
const FILL = '99999999-9999-4999-8999-999999999999';

describe('the request of an attempt', () => {
  it('puts the victim value in the attacked slot and a nonexistent id in every other', () => {
    const route = fixtureRoute('DELETE /v1/tests/{id}');
    const [slot] = slotsOf(route);
    if (slot === undefined) throw new Error('no slot');
    expect(requestFor({ route, slot, value: 'victim-test', own: null, nonexistentId: FILL, tag: '1', now })).toEqual({ method: 'DELETE', path: '/v1/tests/victim-test' });
    const selector = selectorSlot(slotsOf(route));
    if (selector === null) throw new Error('no selector');
    expect(requestFor({ route, slot: selector, value: 'globex-wwsq', own: null, nonexistentId: FILL, tag: '1', now })).toEqual({ method: 'DELETE', path: `/v1/tests/${FILL}?tenant=globex-wwsq` });
  });

  it('attacking a body field, names the attacker’s own object in the path: another tenant’s person into one’s own group', () => {
    const route = fixtureRoute('PATCH /scim/v2/Groups/{id}');
    const member = slotsOf(route).find((slot) => slot.in === 'body');
    if (member === undefined) throw new Error('no body slot');
    const request = requestFor({ route, slot: member, value: 'victim-user', own: (kind) => (kind === 'scim-group' ? 'own-group' : undefined), nonexistentId: FILL, tag: '5', now });
    expect(request.path).toBe('/scim/v2/Groups/own-group');
    expect(request.contentType).toBe('application/scim+json');
    expect(JSON.stringify(request.body)).toContain('"value":"victim-user"');
  });

  it('sends `{}` on a write that names nothing (only the selector is tested there, changing nothing)', () => {
    const route = fixtureRoute('POST /v1/tests');
    const selector = selectorSlot(slotsOf(route));
    if (selector === null) throw new Error('no selector');
    expect(requestFor({ route, slot: selector, value: 'globex-wwsq', own: null, nonexistentId: FILL, tag: '1', now })).toEqual({ method: 'POST', path: '/v1/tests?tenant=globex-wwsq', body: {}, contentType: 'application/json' });
  });

  it('draws nonexistent values of each shape from the seed, the fill apart from the baseline id', () => {
    const values = nonexistentValues(3);
    expect(values).toEqual(nonexistentValues(3));
    expect(values.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(values.fill).not.toBe(values.uuid);
    expect(values.slug).toMatch(/^nx-[0-9a-f]{10}$/);
    expect([shapeOf('tenant', 0), shapeOf('tenant', 1), shapeOf('test', 2), shapeOf('cursor', 0)]).toEqual(['slug', 'uuid', 'uuid', 'opaque']);
  });
});
