import { generate } from 'otplib';
import { expect, setUpAndSignIn, test } from './fixtures';

const username = 'admin';
const password = 'e2e-correct-horse-battery';

async function currentCode(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

test('the console refuses a visit without this launch\'s secret', async ({ page, browserConsole }) => {
  const response = await page.goto(browserConsole.origin + '/');
  expect(response?.status()).toBe(401);
  await expect(page.getByText('npm run console:browser')).toBeVisible();
});

test('first run: create the admin, enroll its authenticator with a first code, then sign in with password and code', async ({ page, browserConsole }) => {
  // First run: the admin, its enrollment with a first code and the recovery codes (fixtures.ts; the QR
  // code and the codes themselves: identity.spec.ts). Enrollment signs the admin in.
  const secret = await setUpAndSignIn(page, browserConsole.launchUrl, username, password);
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The sign-in screen.
  await expect(page.getByRole('heading', { name: 'Sign in to Bulkhead' })).toBeVisible();

  // A malformed code never leaves the page.
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Authenticator code').fill('12ab');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText(/6 digits/i);

  // A wrong code gets the same answer as a wrong password: no hint which factor failed.
  const wrongCode = (await currentCode(secret, 10)).replace(/^./, (d) => String((Number(d) + 1) % 10));
  await page.getByLabel('Authenticator code').fill(wrongCode);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The username, password or code is wrong.');

  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByLabel('Authenticator code').fill(await currentCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The username, password or code is wrong.');

  // The right password and a fresh code sign in: the next step's (within the ±1 step of skew), as the
  // current one may be the step that confirmed the enrollment.
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Authenticator code').fill(await currentCode(secret, 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(page.getByText(username, { exact: true })).toBeVisible();

  // The renderer never holds the session token.
  const storage = await page.evaluate(() =>
    [localStorage, sessionStorage].flatMap((store) => Object.keys(store).map((key) => `${key}=${store.getItem(key) ?? ''}`)).join(';') + document.cookie,
  );
  expect(storage).not.toContain('bho_');

  // Provision a siloed tenant, suspend and resume it, then verify the provider ledger.
  await page.getByRole('link', { name: 'Tenants' }).click();
  await expect(page.getByTestId('license-summary')).toContainText('0 of 25 tenants');
  await page.getByLabel('Slug').fill('acme');
  await page.getByLabel('Name').fill('Acme Corp');
  await page.getByLabel('Isolation', { exact: true }).selectOption('siloed');
  await page.getByLabel('Residency').fill('eu');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const row = page.getByRole('row', { name: /acme/ }).first();
  await expect(row).toContainText('siloed');
  await expect(row).toContainText('active');
  await expect(page.getByTestId('license-summary')).toContainText('1 of 25 tenants');
  // The same slug again is refused with the API's reason.
  await page.getByLabel('Slug').fill('acme');
  await page.getByLabel('Name').fill('Other');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await expect(page.getByRole('alert')).toContainText(/taken/i);

  // The lifecycle is on the tenant's page (Overview), reached from its slug in the table.
  await page.getByRole('link', { name: 'acme', exact: true }).click();
  const heading = page.getByRole('heading', { name: /Acme Corp/ });
  await expect(heading).toContainText('active');
  await page.getByRole('button', { name: 'Suspend acme' }).click();
  await page.getByLabel('Reason').fill('invoice overdue');
  await page.getByRole('button', { name: 'Confirm suspend' }).click();
  await expect(heading).toContainText('suspended');
  await page.getByRole('button', { name: 'Resume acme' }).click();
  await page.getByLabel('Reason').fill('paid');
  await page.getByRole('button', { name: 'Confirm resume' }).click();
  await expect(heading).toContainText('active');

  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify provider ledger' }).click();
  await expect(page.getByRole('status')).toContainText('Ledger verified');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Bulkhead' })).toBeVisible();
});
