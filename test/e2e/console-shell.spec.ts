import { generate } from 'otplib';
import { type Browser, type Page } from '@playwright/test';
import { expect, test, type SignedInConsole } from './fixtures';

/** Screens of the signed-in console, by route and heading. */
const screens = [
  { route: '#/overview', heading: 'Overview' },
  { route: '#/tenants', heading: 'Tenants' },
  { route: '#/audit', heading: 'Audit' },
] as const;

async function open(browser: Browser, consoleRun: SignedInConsole, options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const context = await browser.newContext({ storageState: consoleRun.storageState, colorScheme: options.colorScheme ?? 'light', viewport: options.viewport ?? { width: 1280, height: 800 } });
  return context.newPage();
}

const WIDE = 'northwind-traders-international-holdings';

/** A tenant with a long name and slug, so the table is as wide as it gets. */
async function ensureWideTenant(page: Page): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/#/tenants`);
  await expect(page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
  if ((await page.getByRole('row', { name: /northwind-traders-international-holdings/ }).count()) === 0) {
    await page.getByLabel('Slug').fill('northwind-traders-international-holdings');
    await page.getByLabel('Name').fill('Northwind Traders International Holdings and Subsidiaries, Europe');
    await page.getByLabel('Residency').fill('eu-central');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await expect(page.getByRole('row', { name: /northwind-traders-international-holdings/ })).toBeVisible();
  }
}

test('a reload on a deep screen lands on it', async ({ browser, signedInConsole }) => {
  const page = await open(browser, signedInConsole);
  await page.goto(`${signedInConsole.origin}/#/audit`);
  await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();
  expect(new URL(page.url()).hash).toBe('#/audit');
  await expect(page).toHaveTitle('Audit · Bulkhead');
});

test('Back and Forward move between screens inside the app, and the keyboard shows where focus is', async ({ browser, signedInConsole }) => {
  const page = await open(browser, signedInConsole);
  await page.goto(`${signedInConsole.origin}/`);
  // `/` lands on Overview, rewritten in place.
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page).toHaveURL(/#\/overview$/);
  const nav = page.getByRole('navigation', { name: 'Console sections' });
  await nav.getByRole('link', { name: 'Tenants' }).click();
  await expect(page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
  await nav.getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();

  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  expect(page.url().startsWith(signedInConsole.origin)).toBe(true);
  await page.goForward();
  await expect(page.getByRole('heading', { name: 'Tenants' })).toBeVisible();

  // Keyboard: Tab reaches the nav, the focused link shows a ring, Enter follows it.
  const auditLink = nav.getByRole('link', { name: 'Audit' });
  for (let i = 0; i < 20 && !(await auditLink.evaluate((element) => element === document.activeElement)); i += 1) {
    await page.keyboard.press('Tab');
  }
  await expect(auditLink).toBeFocused();
  expect(await auditLink.evaluate((element) => getComputedStyle(element).outlineStyle)).toBe('solid');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();
});

test('Escape closes a panel and gives focus back to the button that opened it', async ({ browser, signedInConsole }) => {
  const page = await open(browser, signedInConsole);
  await page.goto(`${signedInConsole.origin}/#/tenants`);
  await ensureWideTenant(page);
  await page.goto(`${signedInConsole.origin}/#/tenants/${WIDE}`);
  const suspend = page.getByRole('button', { name: `Suspend ${WIDE}` });
  await suspend.click();
  await expect(page.getByLabel('Reason')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByLabel('Reason')).toHaveCount(0);
  await expect(suspend).toBeFocused();
});

test('an error clears once it no longer applies', async ({ browser, signedInConsole }) => {
  const page = await open(browser, signedInConsole);
  await page.goto(`${signedInConsole.origin}/#/tenants`);
  await ensureWideTenant(page);
  const form = page.getByRole('form', { name: 'New tenant' });
  await form.getByLabel('Slug').fill('northwind-traders-international-holdings');
  await form.getByLabel('Name').fill('Again');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await expect(form.getByRole('alert')).toContainText(/taken/i);
  await form.getByLabel('Slug').fill('northwind-2');
  await expect(form.getByRole('alert')).toHaveCount(0);
});

test('at 900 x 700 nothing overflows sideways, the tenants table and an open panel included', async ({ browser, signedInConsole }) => {
  const page = await open(browser, signedInConsole, { viewport: { width: 900, height: 700 } });
  await page.goto(`${signedInConsole.origin}/#/tenants`);
  await ensureWideTenant(page);
  await page.goto(`${signedInConsole.origin}/#/tenants/${WIDE}`);
  await page.getByRole('button', { name: `Delete ${WIDE}` }).click();
  await expect(page.getByRole('button', { name: 'Delete permanently' })).toBeVisible();
  for (const route of [`#/tenants/${WIDE}`, '#/tenants', `#/tenants/${WIDE}/quotas`, `#/tenants/${WIDE}/identity`, `#/tenants/${WIDE}/audit`, '#/overview', '#/audit']) {
    if (route !== `#/tenants/${WIDE}`) {
      await page.goto(`${signedInConsole.origin}/${route}`);
      await expect(page.getByRole('main').getByRole('heading').first()).toBeVisible();
    }
    const overflow = await page.evaluate(() => {
      const root = document.documentElement;
      const main = document.querySelector('main');
      const table = document.querySelector('table');
      const mainRight = main?.getBoundingClientRect().right ?? 0;
      // Any element whose box reaches past the main area's right edge (1 px for rounding).
      const sticking = [...(main?.querySelectorAll('*') ?? [])].filter((element) => element.getBoundingClientRect().right > mainRight + 1).map((element) => element.tagName);
      return { page: Math.max(0, root.scrollWidth - root.clientWidth), table: table ? Math.max(0, table.scrollWidth - table.clientWidth) : 0, sticking };
    });
    expect(overflow, route).toEqual({ page: 0, table: 0, sticking: [] });
    await page.screenshot({ path: test.info().outputPath(`${route.slice(2).replaceAll('/', '-')}-900.png`), fullPage: true });
  }
});

test('dark mode follows the OS: a dark background and light text', async ({ browser, signedInConsole }) => {
  const colours = async (scheme: 'light' | 'dark') => {
    const page = await open(browser, signedInConsole, { colorScheme: scheme });
    await page.goto(`${signedInConsole.origin}/#/overview`);
    await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
    return page.evaluate(() => {
      const luminance = (colour: string) => {
        const [r = 0, g = 0, b = 0] = (colour.match(/\d+(\.\d+)?/g) ?? []).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      };
      const root = getComputedStyle(document.documentElement);
      return { background: luminance(root.backgroundColor), text: luminance(root.color), scheme: root.colorScheme };
    });
  };
  const light = await colours('light');
  const dark = await colours('dark');
  expect(light.background).toBeGreaterThan(0.8);
  expect(light.text).toBeLessThan(0.3);
  expect(dark.background).toBeLessThan(0.15);
  expect(dark.text).toBeGreaterThan(0.7);
});

test('screenshots of every screen, light and dark (kept in test-results/)', async ({ browser, signedInConsole }, testInfo) => {
  for (const scheme of ['light', 'dark'] as const) {
    const page = await open(browser, signedInConsole, { colorScheme: scheme });
    for (const screen of screens) {
      await page.goto(`${signedInConsole.origin}/${screen.route}`);
      await expect(page.getByRole('heading', { name: screen.heading, exact: true })).toBeVisible();
      if (screen.heading === 'Tenants') {
        await ensureWideTenant(page);
      }
      await page.screenshot({ path: testInfo.outputPath(`${screen.heading.toLowerCase()}-${scheme}.png`), fullPage: true });
    }
    await page.context().close();
  }
});

test('screenshots of the screens before sign-in, light and dark', async ({ page, browserConsole }, testInfo) => {
  const shoot = async (name: string) => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: testInfo.outputPath(`${name}-${scheme}.png`), fullPage: true });
    }
  };
  await page.goto(browserConsole.launchUrl);
  // The embedded control plane may still be starting.
  await expect(page.getByRole('heading', { name: 'Set up Bulkhead' })).toBeVisible({ timeout: 30_000 });
  await shoot('first-run-setup');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('e2e-screens-correct-horse');
  await page.getByLabel('Confirm password').fill('e2e-screens-correct-horse');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  // Creating the admin runs the control plane's init (scrypt at N=2^17): seconds on a busy machine.
  await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible({ timeout: 60_000 });
  await shoot('totp-enrollment');
  const uri = await page.getByTestId('totp-uri').textContent();
  const secret = new URL(uri ?? '').searchParams.get('secret') ?? '';
  await page.getByLabel('Code from your app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Confirm and finish' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible({ timeout: 30_000 });
  await shoot('recovery-codes');
  await page.getByLabel('I have saved these codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Bulkhead' })).toBeVisible();
  await shoot('sign-in');
});
