import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../connection/api-client';
import { excerpt, send } from './run-attempts';

describe('sending an attempt', () => {
  it('waits out 429 (Retry-After, or the body’s retry_after_ms) and keeps status, body and Location', async () => {
    let calls = 0;
    const server = createServer((request, response) => {
      calls += 1;
      if (calls <= 2) {
        response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'rate_limited', details: { retry_after_ms: 20 } } }));
        return;
      }
      response.writeHead(302, { location: `https://idp.example/auth?state=x&path=${request.url ?? ''}` }).end('moved');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: '' });
    try {
      const started = Date.now();
      const answer = await send(client, { method: 'GET', path: '/v1/auth/oidc/login?tenant=acme' }, 'bht_x');
      expect(answer).toEqual({ status: 302, body: 'moved', location: 'https://idp.example/auth?state=x&path=/v1/auth/oidc/login?tenant=acme' });
      expect(calls).toBe(3);
      // retry_after_ms (20 ms) rather than the header's whole second.
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports an answer cut short, the redirect without its query, and never a token', () => {
    expect(excerpt({ status: 201, body: '{"token":"bht_abcdefghijklmnopqrstuvwxyz0123456789","id":"x"}' })).toBe('201 {"token":"bht_[redacted]","id":"x"}');
    expect(excerpt({ status: 302, body: '', location: 'https://idp.example/auth?code_challenge=secret' })).toBe('302 → https://idp.example/auth');
    expect(excerpt({ status: 200, body: 'x'.repeat(1000) })).toHaveLength(4 + 300 + 1);
  });
});
