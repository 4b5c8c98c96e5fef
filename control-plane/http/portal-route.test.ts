import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { PORTAL_CSP } from './portal-route';

/** /portal/: the built page and its assets, with a CSP that allows no inline script or style; nothing else is reachable. */
describe('the tenant portal page', () => {
  let t: TestApp;
  let missing: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-portal-'));

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>portal</title><script type="module" src="/portal/assets/index-abc.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1);');
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    t = await buildTestApp({ portalDir: dir });
    missing = await buildTestApp({ portalDir: null });
  });

  afterAll(async () => {
    await t.close();
    await missing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a strict CSP (no inline script or style, no framing) and its assets', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/portal/', headers: { host: 'alpha.tenants.example.test' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(PORTAL_CSP);
    expect(PORTAL_CSP).toContain("script-src 'self';");
    expect(PORTAL_CSP).not.toContain('unsafe-inline');
    expect(PORTAL_CSP).toContain("frame-ancestors 'none'");
    const script = await t.app.inject({ method: 'GET', url: '/portal/assets/index-abc.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await t.app.inject({ method: 'GET', url: '/portal' })).headers.location).toBe('/portal/');
  });

  it('reaches nothing but built assets: no traversal, no other files, no dot files', async () => {
    for (const url of ['/portal/assets/..%2Findex.html', '/portal/assets/..%2F..%2Fsecret.txt', '/portal/assets/secret.txt', '/portal/assets/.hidden.js', '/portal/assets/nope.js', '/portal/index.html']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.body, url).not.toContain('not an asset');
    }
  });

  it('answers 404 where the portal is not built', async () => {
    const response = await missing.app.inject({ method: 'GET', url: '/portal/' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
