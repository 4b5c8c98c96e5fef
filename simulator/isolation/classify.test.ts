import { describe, expect, it } from 'vitest';
import { judge, normalized, type JudgeInput, type Observed } from './classify';

const VICTIM_TEST = '3f0c9a52-1b7e-4c2d-9e8f-0a1b2c3d4e5f';
const NONEXISTENT = '00000000-0000-4000-8000-00000000abcd';
const envelope = (status: number, code: string, message = 'x') => ({ status, body: JSON.stringify({ error: { code, message, details: {} } }) });

function input(overrides: Partial<JudgeInput> & { answer: Observed }): JudgeInput {
  return {
    slot: { in: 'path', mode: 'reference' },
    value: VICTIM_TEST,
    baselineValue: NONEXISTENT,
    requestText: `DELETE /v1/tests/${VICTIM_TEST}`,
    baseline: envelope(404, 'not_found'),
    markers: [
      { value: VICTIM_TEST, what: 'test id' },
      { value: 'acme-wwsq', what: 'slug' },
    ],
    ...overrides,
  };
}

describe('the leak classifier', () => {
  it('calls a refusal that matches the nonexistent id a refusal', () => {
    expect(judge(input({ answer: envelope(404, 'not_found') }))).toEqual({ verdict: 'refused', reason: '404 not_found' });
    // The value echoed in a message is blanked on both sides.
    const echoed = input({ answer: envelope(404, 'not_found', `no test ${VICTIM_TEST}`), baseline: envelope(404, 'not_found', `no test ${NONEXISTENT}`) });
    expect(judge(echoed).verdict).toBe('refused');
  });

  it('finds a 2xx to a request naming the other tenant in its path', () => {
    const judged = judge(input({ answer: { status: 204, body: '' } }));
    expect(judged.verdict).toBe('leak');
    expect(judged.reason).toMatch(/204 to a request naming the other tenant's object in its path/);
  });

  it('finds an existence oracle: a different status or code for the victim id than for a nonexistent one', () => {
    const judged = judge(input({ answer: envelope(403, 'forbidden') }));
    expect(judged).toEqual({ verdict: 'leak', reason: "answered 403 forbidden for the other tenant's id but 404 not_found for a nonexistent one: that tells the attacker it exists" });
    // Same status and code, but a message only the existing object gets.
    const subtle = judge(input({ answer: envelope(404, 'not_found', 'that test belongs to another tenant') }));
    expect(subtle.verdict).toBe('leak');
    expect(subtle.reason).toMatch(/different bodies/);
  });

  it('finds the victim data in any answer, even a refusal, unless the attempt sent it itself', () => {
    const carrying = judge(input({ slot: { in: 'query', mode: 'reference' }, requestText: `GET /v1/tests?tenant=${VICTIM_TEST}`, answer: { status: 400, body: '{"error":{"code":"invalid_request","message":"acme-wwsq has no such thing"}}' }, baseline: envelope(400, 'invalid_request') }));
    expect(carrying).toEqual({ verdict: 'leak', reason: "the answer (400 invalid_request) carries the other tenant's slug" });
    // A cursor (opaque): no comparison, but its content is still checked.
    const cursor = { slot: { in: 'query' as const, mode: 'opaque' as const }, baseline: null, baselineValue: null, value: 'WyJ4Il0', requestText: 'GET /v1/audit?cursor=WyJ4Il0' };
    expect(judge(input({ ...cursor, answer: { status: 200, body: '{"items":[],"next_cursor":null}' } })).verdict).toBe('own-scope');
    expect(judge(input({ ...cursor, answer: { status: 200, body: `{"items":[{"test_id":"${VICTIM_TEST}"}]}` } })).verdict).toBe('leak');
  });

  it('calls a 2xx within the attacker own tenant (a filter by the victim id that matched nothing) own-scope, and a difference there a leak', () => {
    const empty = { status: 200, body: '{"items":[],"next_cursor":null}' };
    const query = { slot: { in: 'query' as const, mode: 'reference' as const }, requestText: `GET /v1/telemetry/results?test_id=${VICTIM_TEST}`, baseline: empty };
    expect(judge(input({ ...query, answer: empty })).verdict).toBe('own-scope');
    // One row more for the victim's test than for a made-up one: its results are visible.
    const rows = judge(input({ ...query, answer: { status: 200, body: '{"items":[{"latency_ms":12}],"next_cursor":null}' } }));
    expect(rows.verdict).toBe('leak');
  });

  it('on a route that answers without a credential, a credential must not open more or tell more than no credential does', () => {
    const login = { slot: { in: 'query' as const, mode: 'reference' as const }, value: 'acme-wwsq', baselineValue: 'nx-0123456789', requestText: 'GET /v1/auth/oidc/login?tenant=acme-wwsq' };
    const redirect = (state: string) => ({ status: 302, body: '', location: `https://127.0.0.1:4000/auth?state=${state}` });
    const notFound = envelope(404, 'not_found');
    // Sign-in discovery tells anyone whether a tenant exists: public, not a leak of the attacker's credential.
    const anyone = { victim: redirect('a'), nonexistent: notFound };
    expect(judge(input({ ...login, answer: redirect('b'), baseline: notFound, anonymous: anyone })).verdict).toBe('public');
    // An operator's session refused at the plane is no disclosure either.
    expect(judge(input({ ...login, answer: envelope(403, 'no_implicit_access'), baseline: envelope(403, 'no_implicit_access'), anonymous: anyone })).verdict).toBe('public');
    // The credential opens what stays shut without one.
    const shut = { victim: envelope(401, 'unauthorized'), nonexistent: envelope(401, 'unauthorized') };
    expect(judge(input({ ...login, answer: { status: 200, body: '{}' }, baseline: { status: 200, body: '{}' }, anonymous: shut })).reason).toMatch(/the credential opened it/);
    // With the credential it tells the victim from a nonexistent tenant; without one it cannot.
    expect(judge(input({ ...login, answer: envelope(403, 'forbidden'), baseline: notFound, anonymous: { victim: notFound, nonexistent: notFound } })).reason).toMatch(/without a credential it cannot tell them apart/);
    // What anyone is told is not held against the attacker; anything more is.
    const metrics = { victim: { status: 200, body: 'bulkhead_ingest_admitted_units{tenant="acme-wwsq"} 12' }, nonexistent: null };
    expect(judge(input({ ...login, requestText: 'GET /metrics', answer: { status: 200, body: 'bulkhead_ingest_admitted_units{tenant="acme-wwsq"} 14' }, baseline: null, anonymous: metrics })).verdict).toBe('public');
    expect(judge(input({ ...login, requestText: 'GET /metrics', answer: { status: 200, body: `test="${VICTIM_TEST}"` }, baseline: null, anonymous: metrics })).verdict).toBe('leak');
  });

  it('leaves 429 and 5xx that match the baseline inconclusive, and a 5xx only the victim id causes a leak', () => {
    expect(judge(input({ slot: { in: 'query', mode: 'reference' }, answer: envelope(429, 'rate_limited'), baseline: envelope(429, 'rate_limited') })).verdict).toBe('inconclusive');
    expect(judge(input({ answer: envelope(500, 'internal_error') })).verdict).toBe('leak');
  });

  it('blanks fresh ids and instants, not counts', () => {
    const a = normalized({ status: 201, body: '{"id":"11111111-2222-4333-8444-555555555555","at":"2026-01-01T00:00:00.123Z","n":1}' }, null);
    const b = normalized({ status: 201, body: '{"id":"aaaaaaaa-2222-4333-8444-555555555555","at":"2026-02-02T10:00:00Z","n":1}' }, null);
    expect(a).toBe(b);
    expect(normalized({ status: 201, body: '{"n":2}' }, null)).not.toBe(normalized({ status: 201, body: '{"n":1}' }, null));
  });
});
