import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, setUpAndSignIn, test } from './fixtures';

// browser mode saves exports and reports here (--downloads): the test reads the files back.
const downloads = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-downloads-'));
test.use({ consoleArgs: ['--downloads', downloads] });

const evaluationLicense = readFileSync(resolve(import.meta.dirname, '..', '..', 'control-plane', 'licensing', 'evaluation-license.json'), 'utf8');

/** A screenshot kept as a test artifact (attached to the report, and in test-results/). */
async function keepScreen(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const tab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Tenant sections' }).getByRole('link', { name, exact: true });
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name, exact: true });
const brandVar = (page: Page, name: string) => page.getByTestId('brand-preview').evaluate((element, property) => getComputedStyle(element).getPropertyValue(property).trim(), name);
const savedFile = async (page: Page) => (await page.getByRole('status').filter({ hasText: 'Saved' }).locator('code').textContent()) ?? '';

test('brands a tenant and sees the preview, exports its usage and the provider-wide usage to files, replaces the license', async ({ browser, browserConsole }, testInfo) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await setUpAndSignIn(page, browserConsole.launchUrl, 'admin', 'e2e-console-tabs-horse');
  const slug = 'brandco';
  await page.goto(`${browserConsole.origin}/#/tenants`);
  const create = page.getByRole('form', { name: 'New tenant' });
  await create.getByLabel('Slug').fill(slug);
  await create.getByLabel('Name').fill('Brand Co');
  await create.getByLabel('Residency').fill('eu');
  await create.getByRole('button', { name: 'Create tenant' }).click();
  await create.getByRole('link', { name: `Continue onboarding ${slug}` }).click();

  // Branding: an invalid color refused at its field and kept out of the preview; valid tokens previewed live; a logo from a file; saved.
  await tab(page, 'Branding').click();
  await expect(page).toHaveURL(new RegExp(`#/tenants/${slug}/branding$`));
  const brand = page.getByRole('form', { name: 'Branding' });
  await brand.getByLabel('Product name').fill('Brand Co Portal');
  await brand.getByLabel('Primary color', { exact: true }).fill('purple; color: red');
  await expect(brand.getByLabel('Primary color', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  expect(await brandVar(page, '--brand-primary')).toBe('#1f4b99');
  await brand.getByLabel('Primary color', { exact: true }).fill('#0B6E4F');
  await brand.getByLabel('Accent color', { exact: true }).fill('#F2A541');
  await brand.getByLabel('Font family').selectOption('classic-serif');
  await brand.getByLabel('Login message').fill('Sign in with your Brand Co account.');
  await brand.getByLabel('Logo (SVG or PNG)').setInputFiles({
    name: 'logo.svg',
    mimeType: 'image/svg+xml',
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="120" height="40" rx="8" fill="#0b6e4f"/><circle cx="20" cy="20" r="10" fill="#f2a541"/></svg>'),
  });
  const preview = page.getByTestId('brand-preview');
  await expect(preview).toContainText('Brand Co Portal');
  await expect(preview).toContainText('Sign in with your Brand Co account.');
  await expect(preview.locator('img')).toHaveAttribute('src', /^data:image\/svg\+xml;base64,/);
  expect(await brandVar(page, '--brand-primary')).toBe('#0b6e4f');
  expect(await brandVar(page, '--brand-accent')).toBe('#f2a541');
  expect(await brandVar(page, '--brand-font-family')).toContain('Georgia');
  await brand.getByRole('button', { name: 'Save brand' }).click();
  await expect(brand.getByText('Saved')).toBeVisible();
  await keepScreen(page, testInfo, 'tenant-branding');
  // Stored by the control plane: a fresh load shows it.
  await page.reload();
  await expect(page.getByRole('form', { name: 'Branding' }).getByLabel('Product name')).toHaveValue('Brand Co Portal');
  expect(await brandVar(page, '--brand-primary')).toBe('#0b6e4f');

  // Usage tab: this tenant's CSV and PDF, saved by the console into the downloads folder.
  await tab(page, 'Usage').click();
  await page.getByRole('button', { name: 'Export CSV' }).click();
  await expect(page.getByText(/is in your downloads/)).toBeVisible();
  const csvName = await savedFile(page);
  expect(csvName).toMatch(new RegExp(`^bulkhead-usage-${slug}-\\d{4}-\\d{2}-01-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = readFileSync(join(downloads, csvName), 'utf8');
  expect(csv.split('\r\n')[0]).toBe('period_start,period_end,tenant_id,tenant_slug,meter,kind,value,unit');
  expect(csv.split('\r\n').filter((line) => line.includes(`,${slug},`))).toHaveLength(6);
  await keepScreen(page, testInfo, 'tenant-usage');
  await page.getByRole('button', { name: 'PDF report' }).click();
  await expect(page.getByText(/\.pdf/)).toBeVisible();
  const pdfName = await savedFile(page);
  expect(readFileSync(join(downloads, pdfName)).subarray(0, 5).toString()).toBe('%PDF-');

  // Provider-wide Usage: every tenant, as JSON.
  await nav(page, 'Usage').click();
  await page.getByLabel('Last month').check();
  await page.getByRole('button', { name: 'Export JSON' }).click();
  await expect(page.getByText(/\.json/)).toBeVisible();
  const jsonName = await savedFile(page);
  expect(jsonName).not.toContain(slug);
  expect(JSON.parse(readFileSync(join(downloads, jsonName), 'utf8'))).toHaveProperty('rows');
  expect(readdirSync(downloads).toSorted()).toEqual([csvName, jsonName, pdfName].toSorted());
  await keepScreen(page, testInfo, 'provider-usage');

  // License: the band used and the expiry; an altered file refused at the field; the genuine one installed.
  await nav(page, 'License').click();
  await expect(page.getByTestId('license-figures')).toContainText('1 of');
  const altered = evaluationLicense.replace(/"tenant_band":\s*\d+/, '"tenant_band": 999999');
  expect(altered).not.toBe(evaluationLicense);
  await page.getByLabel('License file').setInputFiles({ name: 'license.json', mimeType: 'application/json', buffer: Buffer.from(altered) });
  await expect(page.getByLabel('License file')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/signature does not verify/)).toBeVisible();
  await page.getByLabel('License file').setInputFiles({ name: 'license.json', mimeType: 'application/json', buffer: Buffer.from(evaluationLicense) });
  await expect(page.getByText('License replaced')).toBeVisible();
  await keepScreen(page, testInfo, 'provider-license');
  await context.close();
});
