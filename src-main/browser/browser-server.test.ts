import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcRouter } from '../ipc/router';
import { testHandlers } from '../ipc/test-handlers';
import { buildBrowserServer, CONSOLE_CSP, type BrowserServer } from './browser-server';

const signedOut = { signed_in: false, operator: null, expires_at: null };

describe('browser mode server', () => {
  let dir: string;
  let server: BrowserServer;
  let port: number;
  /** The Host header of this server: its loopback address and the port it listens on. */
  let host: string;

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
    ({ port } = await server.listen(0));
    host = `127.0.0.1:${port}`;
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

  it('answers with the launch URL it listens on', () => {
    expect(port).toBeGreaterThan(0);
  });

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

  it('takes the launch link once: a second use is refused with a page that says why', async () => {
    expect((await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host } })).statusCode).toBe(303);
    const again = await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host } });
    expect(again.statusCode).toBe(410);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.headers['content-type']).toMatch(/^text\/html/);
    expect(again.body).toContain('already used');
    expect(again.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('sends the browser that used the link back to the console when it clicks it again', async () => {
    const session = await cookie();
    const again = await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host, cookie: session } });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe('/');
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a Host with another port, another name, or none, even with the cookie', async () => {
    const session = await cookie();
    for (const wrong of [`127.0.0.1:${port + 1}`, '127.0.0.1', `attacker.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const page = await server.app.inject({ method: 'GET', url: '/', headers: { host: wrong, cookie: session } });
      expect(page.statusCode, wrong).toBe(421);
      const launch = await server.app.inject({ method: 'GET', url: '/launch?secret=launch-secret-for-tests', headers: { host: wrong } });
      expect(launch.statusCode, wrong).toBe(421);
    }
    expect((await server.app.inject({ method: 'GET', url: '/', headers: { host: `localhost:${port}`, cookie: session } })).statusCode).toBe(200);
  });

  it('refuses a foreign Origin on any request, the launch link included', async () => {
    const session = await cookie();
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      const page = await server.app.inject({ method: 'GET', url: '/', headers: { host, cookie: session, origin } });
      expect(page.statusCode, origin).toBe(403);
    }
    const sameOrigin = await server.app.inject({ method: 'POST', url: '/ipc/session:status', headers: { host, cookie: session, origin: `http://${host}`, 'content-type': 'application/json' }, payload: '{}' });
    expect(sameOrigin.statusCode).toBe(200);
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
    const rebound = await server.app.inject({ method: 'GET', url: '/', headers: { host: `attacker.example:${port}`, cookie: session } });
    expect(rebound.statusCode).toBe(421);
  });

  it('does not serve files outside the renderer dir', async () => {
    const session = await cookie();
    const escape = await server.app.inject({ method: 'GET', url: '/../../etc/passwd', headers: { host, cookie: session } });
    expect(escape.statusCode).toBe(404);
    expect(escape.body).not.toContain('root:');
  });
});
