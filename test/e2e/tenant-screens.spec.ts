import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page, TestInfo } from '@playwright/test';
import { connectAndSignIn, expect, setUpAndSignIn, stopChild, test } from './fixtures';
import { exitWithParentArgs } from '../helpers/cli-process';

type SeededPlane = { url: string; ca_pem: string; admin: { username: string; password: string; totpSecret: string } };

/** test/helpers/seeded-control-plane.ts in a child process: a control plane with `count` tenants. */
async function startSeededPlane(count: number): Promise<{ child: ChildProcess; plane: SeededPlane }> {
  const root = resolve(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, resolve(root, 'test', 'helpers', 'seeded-control-plane.ts'), '--tenants', String(count)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const plane = await new Promise<SeededPlane>((done, reject) => {
    const timer = setTimeout(() => reject(new Error('the seeded control plane did not start within 120 s')), 120_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as SeededPlane & { event: string };
      if (event.event === 'listening') {
        clearTimeout(timer);
        done(event);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the seeded control plane exited with ${code ?? '?'}`));
    });
  });
  return { child, plane };
}

/** A screenshot kept as a test artifact (attached to the report, and in test-results/). */
async function keep(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const tab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Tenant sections' }).getByRole('link', { name, exact: true });

test('onboards a tenant: create, plan and contact, quotas (a refusal at its field), fairness, OIDC, an admin token shown once, its audit', async ({ browser, signedInConsole }, testInfo) => {
  const context = await browser.newContext({ storageState: signedInConsole.storageState, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const slug = `onboard-${randomBytes(3).toString('hex')}`;
  await page.goto(`${signedInConsole.origin}/#/tenants`);
  const create = page.getByRole('form', { name: 'New tenant' });
  await create.getByLabel('Slug').fill(slug);
  await create.getByLabel('Name').fill('Onboard Co');
  await create.getByLabel('Residency').fill('eu');
  await create.getByRole('button', { name: 'Create tenant' }).click();
  await create.getByRole('link', { name: `Continue onboarding ${slug}` }).click();

  // Overview: plan and contact, saved; a bad email is refused at its field first.
  await expect(page.getByRole('heading', { name: /Onboard Co/ })).toContainText('active');
  await expect(page).toHaveURL(new RegExp(`#/tenants/${slug}$`));
  const profile = page.getByRole('form', { name: 'Plan and contact' });
  await profile.getByLabel('Plan').fill('enterprise');
  await profile.getByLabel('Contact email').fill('not an email');
  await profile.getByRole('button', { name: 'Save plan and contact' }).click();
  await expect(profile.getByLabel('Contact email')).toHaveAttribute('aria-invalid', 'true');
  await profile.getByLabel('Contact email').fill('ops@onboard.example');
  await profile.getByRole('button', { name: 'Save plan and contact' }).click();
  await expect(profile.getByText('Saved')).toBeVisible();
  await keep(page, testInfo, 'tenant-overview');

  // Quotas & Fairness: a negative quota refused at its field, then saved; fairness saved; the chart drawn.
  await tab(page, 'Quotas & Fairness').click();
  await expect(page).toHaveURL(new RegExp(`#/tenants/${slug}/quotas$`));
  const quotas = page.getByRole('form', { name: 'Quotas' });
  await quotas.getByLabel('Agents').fill('-1');
  await quotas.getByRole('button', { name: 'Save quotas' }).click();
  await expect(quotas.getByLabel('Agents')).toHaveAttribute('aria-invalid', 'true');
  await expect(quotas.getByLabel('Users')).not.toHaveAttribute('aria-invalid', 'true');
  await quotas.getByLabel('Agents').fill('25');
  await quotas.getByRole('button', { name: 'Save quotas' }).click();
  await expect(quotas.getByText('Saved')).toBeVisible();
  const limits = page.getByRole('form', { name: 'Fairness limits' });
  await limits.getByLabel('Ingest rate (units/s)').fill('200');
  await limits.getByLabel('Ingest burst (units)').fill('');
  await limits.getByRole('button', { name: 'Save fairness limits' }).click();
  await expect(limits.getByText('Saved')).toBeVisible();
  await expect(limits.getByLabel('Ingest burst (units)')).toHaveValue('400');
  const chart = page.getByTestId('fairness-chart');
  await expect(chart.locator('canvas')).toHaveCount(1);
  // Polled every second without moving anything: the chart's box keeps its place and size.
  const before = await chart.boundingBox();
  await page.waitForTimeout(2500);
  expect(await chart.boundingBox()).toEqual(before);
  await expect(page.getByTestId('fairness-figures')).toContainText('0 units/s');
  await keep(page, testInfo, 'tenant-quotas-fairness');

  // Identity: OIDC with a write-only secret; an onboarding token shown once, with a copy button.
  await tab(page, 'Identity').click();
  const oidc = page.getByRole('form', { name: 'OIDC settings' });
  await oidc.getByLabel('Issuer').fill('http://idp.onboard.example');
  await oidc.getByLabel('Client ID').fill('bulkhead');
  await oidc.getByLabel('Client secret').fill('e2e-client-secret');
  await oidc.getByRole('button', { name: 'Save OIDC settings' }).click();
  await expect(oidc.getByLabel('Issuer')).toHaveAttribute('aria-invalid', 'true');
  await oidc.getByLabel('Issuer').fill('https://idp.onboard.example');
  await oidc.getByRole('button', { name: 'Save OIDC settings' }).click();
  await expect(oidc.getByText('OIDC settings saved')).toBeVisible();
  await expect(oidc.getByLabel('Client secret')).toHaveValue('');
  expect(await page.content()).not.toContain('e2e-client-secret');
  await page.getByRole('button', { name: 'Mint admin token' }).click();
  const token = page.getByTestId('admin-token');
  await expect(token).toHaveText(/^bht_/);
  await expect(page.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await keep(page, testInfo, 'tenant-identity-token');
  const minted = (await token.textContent()) ?? '';
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(token).toHaveCount(0);
  expect(await page.content()).not.toContain(minted);

  // Audit: the tenant's entries from the provider ledger, filtered by event type; the ledger verifies.
  await tab(page, 'Audit').click();
  const entries = page.getByRole('table');
  for (const event of ['TENANT_CREATED', 'TENANT_UPDATED', 'QUOTA_CHANGED', 'FAIRNESS_CHANGED']) {
    await expect(entries.getByText(event, { exact: true })).toBeVisible();
  }
  await page.getByLabel('Event type').fill('QUOTA_CHANGED');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`#/tenants/${slug}/audit\\?event=QUOTA_CHANGED$`));
  await expect(entries.getByText('TENANT_CREATED', { exact: true })).toHaveCount(0);
  await expect(entries.getByText('QUOTA_CHANGED', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Verify provider ledger' }).click();
  await expect(page.getByText('Ledger verified')).toBeVisible();
  await keep(page, testInfo, 'tenant-audit');

  // Back in the table, the tenant shows its plan.
  await page.getByRole('link', { name: 'Tenants', exact: true }).first().click();
  await expect(page.getByRole('row', { name: new RegExp(slug) })).toContainText('enterprise');
  await context.close();
});

test.describe('the tenants table with 10,000 tenants', () => {
  const COUNT = 10_000;
  let child: ChildProcess | null = null;
  let cp: SeededPlane;

  test.beforeAll(async () => {
    // A control plane licensed for more than 10,000 tenants (a test signer: the console's own embedded
    // one carries the 25-tenant evaluation license), its tenants written straight to storage.
    test.setTimeout(150_000);
    ({ child, plane: cp } = await startSeededPlane(COUNT));
  });

  test.afterAll(async () => {
    await stopChild(child);
  });

  test('loads, sorts, filters and scrolls smoothly, with a URL per view; time to first rows and to scroll are measured', async ({ page, browserConsole }, testInfo) => {
    test.setTimeout(180_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1280, height: 900 });
    await setUpAndSignIn(page, browserConsole.launchUrl, 'admin', 'e2e-tenant-table-password');
    await connectAndSignIn(page, 'Big MSP', cp);
    const nav = page.getByRole('navigation', { name: 'Console sections' });

    // Time to first rows and to every row, from the moment the table is asked for.
    const started = Date.now();
    await nav.getByRole('link', { name: 'Tenants' }).click();
    await expect(page.getByRole('row', { name: /seeded-00000/ })).toBeVisible();
    const firstRowsMs = Date.now() - started;
    await expect(page.getByTestId('tenant-count')).toHaveText(`${COUNT.toLocaleString('en-US')} tenants`, { timeout: 120_000 });
    const allRowsMs = Date.now() - started;
    // Only a window of rows is in the page, whatever the count.
    const rendered = await page.locator('tr[data-slug]').count();
    expect(rendered).toBeLessThan(80);
    await keep(page, testInfo, 'tenants-table-10000');

    // Scrolling to the end: 40 steps, each a frame later; the last tenant is then in view.
    const scroll = await page.getByTestId('tenant-table-scroll').evaluate(async (element) => {
      const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
      const steps = 40;
      const gaps: number[] = [];
      let last = await frame();
      for (let step = 1; step <= steps; step++) {
        element.scrollTop = (element.scrollHeight * step) / steps;
        const now = await frame();
        gaps.push(now - last);
        last = now;
      }
      gaps.sort((a, b) => a - b);
      return { medianMs: gaps[Math.floor(gaps.length / 2)] ?? 0, worstMs: gaps.at(-1) ?? 0 };
    });
    await expect(page.getByRole('row', { name: new RegExp(`seeded-${String(COUNT - 1).padStart(5, '0')}`) })).toBeVisible();

    // A view is a URL: suspended only, slugs last first; then a search, written back to the URL.
    await page.evaluate(() => {
      window.location.hash = '#/tenants?state=suspended&sort=-slug';
    });
    await expect(page.getByTestId('tenant-count')).toHaveText(`${(COUNT / 10).toLocaleString('en-US')} of ${COUNT.toLocaleString('en-US')} tenants`, { timeout: 120_000 });
    await expect(page.locator('tr[data-slug]').first()).toHaveAttribute('data-slug', `seeded-${String(COUNT - 1).padStart(5, '0')}`);
    await page.getByLabel('Search tenants').fill('seeded-001');
    await expect(page).toHaveURL(/q=seeded-001/);
    await expect(page.getByTestId('tenant-count')).toHaveText(`10 of ${COUNT.toLocaleString('en-US')} tenants`);
    await keep(page, testInfo, 'tenants-table-view');

    expect(errors).toEqual([]);
    const figures = { tenants: COUNT, first_rows_ms: firstRowsMs, all_rows_ms: allRowsMs, rows_in_page: rendered, scroll_frame_median_ms: scroll.medianMs, scroll_frame_worst_ms: scroll.worstMs };
    await testInfo.attach('tenants-table-figures', { body: JSON.stringify(figures, null, 2), contentType: 'application/json' });
    console.log(`tenants table: ${JSON.stringify(figures)}`);
  });
});
