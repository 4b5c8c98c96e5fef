import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { generate } from 'otplib';
import { PNG } from 'pngjs';
import { Agent, request } from 'undici';
import { runCli, startServe, type ServingProcess } from '../helpers/cli-process';
import { portalTenant } from '../helpers/portal-fixtures';
import type { Call } from '../helpers/tenant-user';
import { startTestIdp, type TestIdp } from '../helpers/test-idp';

// The tenant portal (#19) against a real control plane (`serve --base-domain`) and two real
// oidc-provider IdPs, in Debian's Chromium: two tenants with different brands side by side, one on its
// tenant host and one on its custom domain, and an unknown host with the default brand; each tenant's
// admin signs in through their own IdP and sees only their tenant's data, and approves a break-glass
// request in the portal that the operator then activates through the API. Host names resolve to loopback
// inside Chromium only (--host-resolver-rules); the data dir's certificate does not name them, so
// the context ignores certificate errors. Screenshots of both walls, and of the two side by side,
// are kept in the test's output folder (test-results/).

const BASE = 'tenants.example.test';
const password = 'a-long-portal-e2e-password';

test.use({
  ignoreHTTPSErrors: true,
  launchOptions: {
    executablePath: process.env.BULKHEAD_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--host-resolver-rules=MAP * 127.0.0.1'],
  },
});

const svgLogo = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40"><rect width="120" height="40" rx="8" fill="#0b6e4f"/><circle cx="20" cy="20" r="12" fill="#f2c14e"/><text x="40" y="27" font-size="18" fill="#ffffff">ALPHA</text></svg>';

function pngLogo(): string {
  const png = new PNG({ width: 120, height: 40 });
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 120; x++) {
      const i = (y * 120 + x) * 4;
      const stripe = Math.floor(x / 20) % 2 === 0;
      png.data[i] = stripe ? 0x6a : 0xf0;
      png.data[i + 1] = stripe ? 0x1b : 0xe6;
      png.data[i + 2] = stripe ? 0x9a : 0xff;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png).toString('base64');
}

const brands = {
  alpha: {
    product_name: 'Alpha Cloud',
    logo_svg: svgLogo,
    login_message: 'Welcome to Alpha.\nUse your Alpha account.',
    colors: { primary: '#0b6e4f', secondary: '#3a5a40', accent: '#f2c14e', background: '#f4f9f4', text: '#102a1f' },
    typography: { font_family: 'humanist', base_size_px: 16 },
  },
  bravo: {
    product_name: 'Bravo Ops',
    logo_png_base64: pngLogo(),
    login_message: 'Bravo staff only.',
    colors: { primary: '#6a1b9a', secondary: '#4a148c', accent: '#ff7043', background: '#fbf7ff', text: '#1d0b2b' },
    typography: { font_family: 'classic-serif', base_size_px: 18 },
    custom_domain: 'portal.bravo.example',
  },
} as const;

/** rgb(r, g, b) as a computed style answers a #rrggbb color. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

let root: string;
let server: ServingProcess;
let port: string;
let operator: string;
let call: Call;
let dispatcher: Agent;
const idps: Partial<Record<keyof typeof brands, TestIdp>> = {};
const hosts = { alpha: `alpha.${BASE}`, bravo: brands.bravo.custom_domain } as const;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  root = mkdtempSync(join(tmpdir(), 'bulkhead-portal-e2e-'));
  const dataDir = join(root, 'data');
  const key = (await runCli(['keygen'])).stdout.trim();
  const env = { BULKHEAD_DEPLOYMENT_KEY: key };
  const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--password-stdin', '--json'], env, `${password}\n`);
  expect(init.code, init.stderr).toBe(0);
  const { secret } = JSON.parse(init.stdout) as { secret: string };
  server = await startServe(['--data', dataDir, '--base-domain', BASE], env);
  port = new URL(server.url).port;
  dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
  const api = async (method: 'POST' | 'PUT', path: string, token: string | null, body: unknown) => {
    const response = await request(`${server.url}${path}`, { method, dispatcher, headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
    const json = (await response.body.json()) as Record<string, unknown>;
    expect(response.statusCode, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
    return json;
  };
  // init leaves the admin pending: its first code confirms the enrollment and signs it in.
  operator = String((await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'admin', password, totp: await generate({ secret }) })).token);
  for (const [slug, brand] of Object.entries(brands)) {
    await api('POST', '/provider/v1/tenants', operator, { slug, name: slug });
    await api('PUT', `/provider/v1/tenants/${slug}/branding`, operator, brand);
  }
  call = async (method, path, authorization, payload) => {
    const response = await request(`${server.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...(authorization === null ? {} : { authorization }) },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  // Each tenant's own IdP, which knows only its portal's callback; each tenant's admin comes from it.
  for (const slug of ['alpha', 'bravo'] as const) {
    const clientSecret = `${slug}-portal-client-secret`;
    const idp = await startTestIdp({
      clients: [{ clientId: `${slug}-portal`, clientSecret, redirectUris: [`https://${hosts[slug]}:${port}/portal/callback`] }],
      accounts: { [`${slug}-admin`]: { email: `admin@${slug}.example`, name: `${slug} admin`, groups: [], tenant: slug } },
    });
    idps[slug] = idp;
    const onboarding = `Bearer ${String(await api('POST', `/provider/v1/tenants/${slug}/admin-tokens`, operator, { expires_in_seconds: 86_400 }).then((json) => json.token))}`;
    await portalTenant({ call, onboarding, slug, idp, clientId: `${slug}-portal`, clientSecret, account: `${slug}-admin`, role: 'admin' });
  }
});

test.afterAll(async () => {
  await Promise.all(Object.values(idps).map((idp) => idp.close()));
  await dispatcher.close();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Opens the portal on `host`, collecting CSP violations, and waits for its wall. */
async function openWall(page: Page, host: string): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(`https://${host}:${port}/portal/`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.locator('main.wall[data-brand-source]')).toBeVisible();
  return violations;
}

test('two tenants side by side: each sign-in wall shows its own brand; an unknown host gets the default brand', async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 640, height: 560 } });
  const alpha = await context.newPage();
  const bravo = await context.newPage();
  const unknown = await context.newPage();
  const violations = [...(await openWall(alpha, `alpha.${BASE}`)), ...(await openWall(bravo, brands.bravo.custom_domain)), ...(await openWall(unknown, 'nobody.example'))];

  for (const [page, slug] of [
    [alpha, 'alpha'],
    [bravo, 'bravo'],
  ] as const) {
    const brand = brands[slug];
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(brand.product_name);
    await expect(page.getByText(brand.login_message.split('\n')[0] ?? '')).toBeVisible();
    await expect(page).toHaveTitle(`Sign in · ${brand.product_name}`);
    const logo = page.getByRole('img', { name: `${brand.product_name} logo` });
    await expect(logo).toBeVisible();
    expect(await logo.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(120);
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim())).toBe(brand.colors.primary);
    await expect(page.getByRole('heading', { level: 1 })).toHaveCSS('color', rgb(brand.colors.primary));
    await expect(page.locator('body')).toHaveCSS('font-size', `${brand.typography.base_size_px}px`);
  }
  await expect(alpha.locator('main.wall')).toHaveAttribute('data-brand-source', 'tenant_host');
  await expect(bravo.locator('main.wall')).toHaveAttribute('data-brand-source', 'custom_domain');
  // Neither wall shows anything of the other's brand.
  await expect(alpha.getByText('Bravo')).toHaveCount(0);
  await expect(bravo.getByText('Alpha')).toHaveCount(0);

  await expect(unknown.getByRole('heading', { level: 1 })).toHaveText('Bulkhead');
  await expect(unknown.locator('main.wall')).toHaveAttribute('data-brand-source', 'default');
  await expect(unknown.getByRole('img')).toHaveCount(0);

  expect(violations).toEqual([]);

  const shots = [await alpha.screenshot({ path: testInfo.outputPath('portal-alpha.png') }), await bravo.screenshot({ path: testInfo.outputPath('portal-bravo.png') })];
  await unknown.screenshot({ path: testInfo.outputPath('portal-default.png') });
  // Attached too, so the report keeps them beside the run.
  await testInfo.attach('portal-alpha.png', { path: testInfo.outputPath('portal-alpha.png'), contentType: 'image/png' });
  await testInfo.attach('portal-bravo.png', { path: testInfo.outputPath('portal-bravo.png'), contentType: 'image/png' });
  // The two walls side by side, as a sales engineer shows them.
  const [left, right] = shots.map((shot) => PNG.sync.read(shot));
  if (left === undefined || right === undefined) throw new Error('no screenshots');
  const both = new PNG({ width: left.width + right.width, height: Math.max(left.height, right.height) });
  PNG.bitblt(left, both, 0, 0, left.width, left.height, 0, 0);
  PNG.bitblt(right, both, 0, 0, right.width, right.height, left.width, 0);
  writeFileSync(testInfo.outputPath('portal-side-by-side.png'), PNG.sync.write(both));
  await context.close();
});

/** Signs `slug`'s admin in to its portal through its own IdP, from the branded wall. */
async function signIn(page: Page, slug: keyof typeof brands): Promise<string[]> {
  const violations = await openWall(page, hosts[slug]);
  idps[slug]?.loginAs(`${slug}-admin`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Portal' })).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('header')).toContainText(`admin@${slug}.example`);
  return violations;
}

test("each tenant's admin signs in through their own IdP, sees only their tenant's data, and approves break-glass that the operator then activates", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const requests: Record<string, string> = {};
  for (const slug of ['alpha', 'bravo'] as const) {
    const created = await call('POST', '/provider/v1/break-glass', `Bearer ${operator}`, { tenant: slug, reason: `${slug} incident 7`, scope: ['telemetry:read'], duration_minutes: 30 });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    requests[slug] = String(created.json.id);
  }
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [alpha, bravo] = await Promise.all(contexts.map((context) => context.newPage()));
  if (alpha === undefined || bravo === undefined) throw new Error('no pages');
  const violations = [...(await signIn(alpha, 'alpha')), ...(await signIn(bravo, 'bravo'))];

  // Each sees their own tenant's request only.
  await expect(alpha.getByRole('cell', { name: 'alpha incident 7' })).toBeVisible();
  await expect(alpha.getByText('bravo incident 7')).toHaveCount(0);
  await expect(bravo.getByRole('cell', { name: 'bravo incident 7' })).toBeVisible();
  await expect(bravo.getByText('alpha incident 7')).toHaveCount(0);

  // Alpha's admin approves in the portal (a cookie session, CSRF-checked); the operator activates it.
  const row = alpha.locator(`tr[data-request-id="${requests.alpha}"]`);
  await row.getByRole('button', { name: 'Approve' }).click();
  await expect(row.locator('.state')).toHaveText('approved');
  const activated = await call('POST', `/provider/v1/break-glass/${requests.alpha}/activate`, `Bearer ${operator}`, {});
  expect(activated.status, JSON.stringify(activated.json)).toBe(201);
  expect(String(activated.json.grant_token)).toMatch(/^bhg_/);
  // Bravo's request is untouched by it.
  const bravoRequest = await call('GET', `/provider/v1/break-glass/${requests.bravo}`, `Bearer ${operator}`);
  expect(bravoRequest.json.state).toBe('pending');

  // Each tenant's users screen lists its own people only.
  for (const [page, own, other] of [
    [alpha, 'alpha', 'bravo'],
    [bravo, 'bravo', 'alpha'],
  ] as const) {
    await page.getByRole('button', { name: 'Users', exact: true }).click();
    await expect(page.getByRole('cell', { name: `${own}-admin@${own}.example` })).toBeVisible();
    await expect(page.getByText(`${other}-admin`)).toHaveCount(0);
  }

  // Bravo's ledger is witnessed in the browser (Chromium's own WebCrypto Ed25519 and SHA-256): the
  // first head is kept in localStorage, the next look is checked against it. It verifies, and one
  // entry's inclusion proof checks in the browser.
  await bravo.getByRole('button', { name: 'Ledger' }).click();
  await expect(bravo.getByLabel('Ledger witness')).toContainText(/^Witnessing from now on: tree \d+/, { timeout: 30_000 });
  await bravo.getByRole('button', { name: 'Check the head again' }).click();
  await expect(bravo.getByLabel('Ledger witness')).toContainText(/^Witnessed: tree \d+, consistent with the head kept at /, { timeout: 30_000 });
  await expect(bravo.getByRole('alert')).toHaveCount(0);
  await bravo.screenshot({ path: testInfo.outputPath('portal-ledger-witnessed.png') });
  await testInfo.attach('portal-ledger-witnessed.png', { path: testInfo.outputPath('portal-ledger-witnessed.png'), contentType: 'image/png' });
  await bravo.getByRole('button', { name: 'Verify the ledger' }).click();
  await expect(bravo.getByLabel('Ledger verification')).toContainText('Verified:');
  await bravo.getByRole('button', { name: 'Prove' }).first().click();
  await expect(bravo.getByLabel('Inclusion proof')).toContainText('is in the ledger', { timeout: 30_000 });

  // The session cookie is HttpOnly, Secure, SameSite=Strict and host-only; signing out ends it.
  const cookies = await alpha.context().cookies();
  expect(cookies.find((item) => item.name === '__Host-bh_portal')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/', domain: hosts.alpha });
  await alpha.getByRole('button', { name: 'Sign out' }).click();
  await expect(alpha.getByRole('link', { name: 'Sign in' })).toBeVisible();

  expect(violations).toEqual([]);
  await Promise.all(contexts.map((context) => context.close()));
});
