import { describe, expect, it } from 'vitest';
import { loadSession, portalApi, PortalApiError } from './api';

interface Seen {
  url: string;
  init: RequestInit;
}

function recorder(answer: () => Response): { fetcher: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetcher = ((url: string, init: RequestInit) => {
    seen.push({ url, init });
    return Promise.resolve(answer());
  }) as typeof fetch;
  return { fetcher, seen };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The portal's calls: the cookie (same-origin), and the CSRF value on state-changing calls only. */
describe('the portal API client', () => {
  it('sends the CSRF value with every state-changing call, never with a read', async () => {
    const { fetcher, seen } = recorder(() => json(200, { ok: true }));
    const api = portalApi(fetcher, 'csrf-value');
    await api.get('/v1/tenant');
    await api.send('POST', '/v1/break-glass/x/approve', {});
    await api.send('DELETE', '/v1/directory/scim-tokens/y');
    const headers = seen.map((call) => new Headers(call.init.headers));
    expect(headers[0]?.get('x-bulkhead-csrf')).toBeNull();
    expect(headers[1]?.get('x-bulkhead-csrf')).toBe('csrf-value');
    expect(headers[1]?.get('content-type')).toBe('application/json');
    expect(headers[2]?.get('x-bulkhead-csrf')).toBe('csrf-value');
    expect(seen.every((call) => call.init.credentials === 'same-origin')).toBe(true);
  });

  it("turns a refusal into its code and message, and a 401 session into 'signed out'", async () => {
    const api = portalApi(recorder(() => json(403, { error: { code: 'csrf_rejected', message: 'no', details: {} } })).fetcher, 'x');
    await expect(api.send('PUT', '/v1/break-glass/settings', {})).rejects.toMatchObject({ status: 403, code: 'csrf_rejected' });
    await expect(api.get('/v1/tenant')).rejects.toBeInstanceOf(PortalApiError);
    expect(await loadSession(recorder(() => json(401, { error: { code: 'unauthorized', message: 'no', details: {} } })).fetcher)).toBeNull();
    // A session answer that is not the contract's is an error, never a half-signed-in page.
    await expect(loadSession(recorder(() => json(200, { user: 'someone' })).fetcher)).rejects.toThrow();
  });
});
