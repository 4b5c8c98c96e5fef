import jsQR from 'jsqr';
import { generate } from 'otplib';
import { PNG } from 'pngjs';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures';

// Enrollment with the QR code, recovery codes, a second operator and the idle lock (#18), in browser
// mode against the console's real embedded control plane. Screenshots of each screen are kept in
// the test's output folder (test-results/).

const admin = { username: 'admin', password: 'e2e-correct-horse-battery' };

function code(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

/** Reads the QR code on screen as an authenticator app would: from its pixels. */
async function scanQrCode(page: Page): Promise<{ uri: string; secret: string }> {
  const image = PNG.sync.read(await page.getByRole('img', { name: /^QR code to add / }).screenshot());
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  expect(decoded, 'the QR code on screen could not be read').not.toBeNull();
  const uri = decoded?.data ?? '';
  expect(uri).toMatch(/^otpauth:\/\/totp\/Bulkhead:/);
  return { uri, secret: new URL(uri).searchParams.get('secret') ?? '' };
}

async function keep(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

async function signIn(page: Page, credentials: { username: string; password: string }, totp: string): Promise<void> {
  await page.getByLabel('Username').fill(credentials.username);
  await page.getByLabel('Password', { exact: true }).fill(credentials.password);
  await page.getByLabel('Authenticator code').fill(totp);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** On the recovery codes screen: reads them, checks they cannot be skipped, and goes on. */
async function saveRecoveryCodes(page: Page): Promise<string[]> {
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  const codes = (await page.getByTestId('recovery-codes').getByRole('listitem').allTextContents()).map((text) => text.trim());
  expect(codes).toHaveLength(10);
  for (const item of codes) expect(item).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  await expect(page.getByRole('button', { name: 'Continue' })).toBeDisabled();
  await page.getByLabel('I have saved these codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  return codes;
}

async function firstRun(page: Page): Promise<void> {
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Confirm password').fill(admin.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  // init runs scrypt at N=2^17 and starts the control plane: seconds on a busy machine.
  await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible({ timeout: 60_000 });
}

test('enroll from the QR code with a first code; a second operator enrolls its own; lose the authenticator, sign in with a recovery code and set up a new one', async ({ page, context, browserConsole }, testInfo) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: browserConsole.origin });
  await page.goto(browserConsole.launchUrl);
  await firstRun(page);

  // The QR code carries the secret shown below it in groups of four, and the copy button copies it whole.
  const { secret } = await scanQrCode(page);
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const grouped = (await page.getByTestId('totp-secret').textContent()) ?? '';
  expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  expect(grouped.replace(/ /g, '')).toBe(secret);
  await page.getByRole('button', { name: 'Copy secret key' }).click();
  await expect(page.getByText('Secret key copied')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await keep(page, testInfo, 'enrollment');

  // Nothing is enrolled until a right code: a wrong one says so and keeps the QR code on screen.
  const wrong = (await code(secret, 10)).replace(/^./, (digit) => String((Number(digit) + 1) % 10));
  await page.getByLabel('Code from your app').fill(wrong);
  await page.getByRole('button', { name: 'Confirm and finish' }).click();
  await expect(page.getByRole('alert')).toContainText('That code does not match');
  await page.getByLabel('Code from your app').fill(await code(secret));
  await page.getByRole('button', { name: 'Confirm and finish' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await keep(page, testInfo, 'recovery-codes');
  const recoveryCodes = await saveRecoveryCodes(page);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // Operators: add one; the admin gets its initial password, never its TOTP secret.
  const nav = page.getByRole('navigation', { name: 'Console sections' });
  await nav.getByRole('link', { name: 'Operators' }).click();
  const form = page.getByRole('form', { name: 'New operator' });
  await form.getByLabel('Username').fill('oncall');
  await form.getByRole('button', { name: 'Add operator' }).click();
  const initialPassword = ((await page.getByTestId('initial-password').textContent()) ?? '').trim();
  expect(initialPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
  await expect(page.getByRole('row', { name: /oncall/ })).toContainText('set up at next sign-in');
  await expect(page.getByRole('row', { name: /admin/ })).toContainText('10 left');
  await keep(page, testInfo, 'operators');

  await nav.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByTestId('recovery-codes-left')).toHaveText('10 left');
  await keep(page, testInfo, 'account');
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The second operator signs in with its initial password and no code: on to its own enrollment.
  const oncall = { username: 'oncall', password: initialPassword };
  await signIn(page, oncall, '');
  await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
  const own = await scanQrCode(page);
  expect(own.secret).not.toBe(secret);
  const firstCode = await code(own.secret);
  await page.getByLabel('Code from your app').fill(firstCode);
  await page.getByRole('button', { name: 'Confirm and finish' }).click();
  await saveRecoveryCodes(page);
  await expect(page.getByRole('banner')).toContainText('oncall');
  // A provider operator administers no operators.
  await expect(nav.getByRole('link', { name: 'Account' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Operators' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The code that finished the enrollment is spent: it says to wait for the next one.
  await signIn(page, oncall, firstCode);
  await expect(page.getByRole('alert')).toContainText('That code was just used. Wait for the next code');
  await keep(page, testInfo, 'replayed-code');

  // The admin lost its authenticator: one recovery code (typed in lower case, without dashes) signs it in, once.
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Recovery code').fill((recoveryCodes[0] ?? '').toLowerCase().replace(/-/g, ''));
  await keep(page, testInfo, 'sign-in-recovery-code');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('banner')).toContainText('admin');
  await nav.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByTestId('recovery-codes-left')).toHaveText('9 left');
  // It sets up a new authenticator: its password, the new QR code, a first code of the new app.
  const replace = page.getByRole('form', { name: 'Set up a new authenticator' });
  await replace.getByLabel('Password').fill(admin.password);
  await replace.getByRole('button', { name: 'Set up a new authenticator' }).click();
  const renewed = await scanQrCode(page);
  expect(renewed.secret).not.toBe(secret);
  await page.getByLabel('Code from your new app').fill(await code(renewed.secret));
  await keep(page, testInfo, 'new-authenticator');
  await page.getByRole('button', { name: 'Confirm new authenticator' }).click();
  await expect(page.getByText('Your new authenticator app is set up; the old one no longer works.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Recovery code').fill(recoveryCodes[0] ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The username, password or code is wrong.');
  // The new authenticator signs in (its next code: the first one confirmed it).
  await page.getByRole('button', { name: 'Use my authenticator app instead' }).click();
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Authenticator code').fill(await code(renewed.secret, 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

test.describe('the idle lock', () => {
  test.use({ consoleArgs: ['--idle-lock-seconds', '8'] });

  test('signs the console out after the set time without activity, and says why', async ({ page, browserConsole }, testInfo) => {
    test.setTimeout(180_000);
    await page.goto(browserConsole.launchUrl);
    await firstRun(page);
    const { secret } = await scanQrCode(page);
    await page.getByLabel('Code from your app').fill(await code(secret));
    await page.getByRole('button', { name: 'Confirm and finish' }).click();
    await saveRecoveryCodes(page);
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Account' }).click();
    await expect(page.getByText(/signs you out after 8 seconds without activity\. It was set when the console was started/)).toBeVisible();

    // Nobody touches the console now.
    await expect(page.getByRole('heading', { name: 'Sign in to Bulkhead' })).toBeVisible({ timeout: 30_000 });
    const notice = page.getByRole('status').filter({ hasText: 'Bulkhead locked itself.' });
    await expect(notice).toContainText('Nobody used the console for 8 seconds');
    await keep(page, testInfo, 'idle-lock');
    // The session is gone in the main process too: signing in again is the way back.
    await signIn(page, admin, await code(secret, 1));
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(page.getByText('Bulkhead locked itself.')).toHaveCount(0);
  });
});
