import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcRouter } from '../ipc/router';
import { testHandlers } from '../ipc/test-handlers';
import { buildBrowserServer, CONSOLE_CSP, type BrowserServer } from './browser-server';

const signedOut = { signed_in: false, operator: null, expires_at: null };
const host = '127.0.0.1:5555';

describe('browser mode server', () => {
  let dir: string;
  let server: BrowserServer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-browser-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Bulkhead</title>');
    const router = createIpcRouter(testHandlers({
      'app:info': () => Promise.resolve({ version: '1', mode: 'browser', control_plane: { kind: 'embedded', url: null, state: 'starting', message: null } }),
      'setup:enroll': () => Promise.resolve({ username: 'a', otpauth_uri: 'otpauth://totp/x', secret: 'S' }),
      'session:status': () => Promise.resolve(signedOut),
      'session:login': () => Promise.resolve(signedOut),
      'session:logout': () => Promise.resolve(signedOut),
    }));
    server = await buildBrowserServer({ router, rendererDir: dir, launchSecret: 'launch-secret-for-tests' });
  });

  afterEach(async () => {
    await server.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cookie(): Promise<string> {
    const launch = await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host } });
    const setCookie = launch.headers['set-cookie'];
    const value = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (value === undefined) {
      throw new Error('no cookie');
    }
    return value.split(';')[0] ?? '';
  }

  it('refuses the page and calls without the launch cookie', async () => {
    const page = await server.app.inject({ method: 'GET', url: '/', headers: { host } });
    expect(page.statusCode).toBe(401);
    const call = await server.app.inject({ method: 'POST', url: '/ipc/session:status', headers: { host, 'content-type': 'application/json' }, payload: '{}' });
    expect(call.statusCode).toBe(401);
  });

  it('refuses a wrong launch secret', async () => {
    const launch = await server.app.inject({ method: 'GET', url: '/launch?secret=guess', headers: { host } });
    expect(launch.statusCode).toBe(403);
    expect(launch.headers['set-cookie']).toBeUndefined();
  });

  it('trades the launch secret for an HttpOnly SameSite=Strict cookie and redirects to the console', async () => {
    const launch = await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host } });
    expect(launch.statusCode).toBe(303);
    expect(launch.headers.location).toBe('/');
    const setCookie = String(launch.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain('launch-secret-for-tests');
  });

  it('serves the console with its CSP and answers calls through the router', async () => {
    const session = await cookie();
    const page = await server.app.inject({ method: 'GET', url: '/', headers: { host, cookie: session } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    const call = await server.app.inject({ method: 'POST', url: '/ipc/session:status', headers: { host, cookie: session, 'content-type': 'application/json' }, payload: '{}' });
    expect(call.json()).toEqual({ result: signedOut });
    const invalid = await server.app.inject({ method: 'POST', url: '/ipc/session:login', headers: { host, cookie: session, 'content-type': 'application/json' }, payload: '{"username":1}' });
    expect(invalid.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('refuses cross-origin calls, non-JSON calls and non-loopback hosts (DNS rebinding)', async () => {
    const session = await cookie();
    const crossOrigin = await server.app.inject({
      method: 'POST',
      url: '/ipc/session:logout',
      headers: { host, cookie: session, origin: 'http://evil.example', 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(crossOrigin.statusCode).toBe(403);
    const form = await server.app.inject({ method: 'POST', url: '/ipc/session:logout', headers: { host, cookie: session, 'content-type': 'text/plain' }, payload: '{}' });
    expect(form.statusCode).toBe(415);
    const rebound = await server.app.inject({ method: 'GET', url: '/', headers: { host: 'attacker.example:5555', cookie: session } });
    expect(rebound.statusCode).toBe(421);
  });

  it('does not serve files outside the renderer dir', async () => {
    const session = await cookie();
    const escape = await server.app.inject({ method: 'GET', url: '/../../etc/passwd', headers: { host, cookie: session } });
    expect(escape.statusCode).toBe(404);
    expect(escape.body).not.toContain('root:');
  });
});
