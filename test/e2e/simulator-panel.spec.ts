import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, setUpAndSignIn, startBrowserConsole, test } from './fixtures';

/** A screenshot kept as a test artifact (attached to the report, and in test-results/). */
async function keep(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

// The simulator builds real tenants (IdPs, SCIM, agents) on the console's embedded control plane: a
// loaded 2-core machine takes tens of seconds for that, so these waits are long.
const SETUP_MS = 150_000;

test.describe('the simulator panel against the embedded control plane', () => {
  test('runs a scenario picked in the panel: progress, a chart per tenant, then the report', async ({ browser, signedInConsole }, testInfo) => {
    test.setTimeout(240_000);
    const context = await browser.newContext({ storageState: signedInConsole.storageState, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${signedInConsole.origin}/#/simulator`);
    await expect(page.getByRole('heading', { name: 'Simulator' })).toBeVisible();
    const form = page.getByRole('form', { name: 'Scenario' });
    await form.getByRole('combobox', { name: 'Scenario' }).selectOption('noisy-neighbor');
    await form.getByLabel('Tenants').fill('2');
    await form.getByLabel('Load seconds').fill('4');
    await form.getByLabel('Seed').fill('2101');
    await form.getByRole('button', { name: 'Start' }).click();
    const run = page.getByTestId('simulator-run');
    await expect(run).toHaveAttribute('data-state', 'running');
    await expect(run.getByRole('status')).toContainText('seed 2101');
    await expect(form.getByRole('button', { name: 'Stop' })).toBeVisible();
    // The console stays responsive while it runs: another screen opens and comes back.
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Tenants' }).click();
    await expect(page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Simulator' }).click();
    await expect(page.getByTestId('simulator-tenant').first()).toBeVisible({ timeout: SETUP_MS });
    await expect(page.getByTestId('simulator-tenant')).toHaveCount(2);
    await keep(page, testInfo, 'simulator-running');
    const report = page.getByTestId('simulator-report');
    await expect(report).toBeVisible({ timeout: SETUP_MS });
    await expect(run).toHaveAttribute('data-state', 'finished');
    await expect(report.getByRole('table').first()).toBeVisible();
    await expect(report).toContainText('lost');
    await expect(page.getByTestId('simulator-chart').first()).toBeVisible();
    await keep(page, testInfo, 'simulator-report');
    await context.close();
  });

  test('edit fairness while the simulator floods: the what-if moves before saving, and the save applies', async ({ browser, signedInConsole }, testInfo) => {
    test.setTimeout(240_000);
    const context = await browser.newContext({ storageState: signedInConsole.storageState, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${signedInConsole.origin}/#/simulator`);
    const form = page.getByRole('form', { name: 'Scenario' });
    await form.getByRole('combobox', { name: 'Scenario' }).selectOption('noisy-neighbor');
    await form.getByLabel('Tenants').fill('2');
    await form.getByLabel('Load seconds').fill('90');
    await form.getByLabel('Seed').fill('2202');
    await form.getByRole('button', { name: 'Start' }).click();
    // The panel showed the previous run until this one's answer: wait for this one before reading its cards.
    await expect(page.getByTestId('simulator-run')).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('simulator-run').getByRole('status')).toContainText('seed 2202');
    // The noisy tenant's card comes first once load starts; its slug names its page.
    const noisyCard = page.getByTestId('simulator-tenant').filter({ hasText: 'noisy' });
    await expect(noisyCard).toBeVisible({ timeout: SETUP_MS });
    const slug = (await noisyCard.locator('strong').first().textContent()) ?? '';
    expect(slug).toMatch(/^[a-z0-9-]+$/);
    // Until its shed shows: the flood windows alternate with quiet ones.
    await expect(noisyCard.locator('.simulator-figures')).toHaveText(/· [1-9][\d,]* shed\/s/, { timeout: 60_000 });

    await page.goto(`${signedInConsole.origin}/#/tenants/${slug}/quotas`);
    const whatIf = page.getByTestId('what-if');
    const predicted = whatIf.getByTestId('what-if-predicted');
    await expect(whatIf.getByTestId('what-if-figures')).toBeVisible({ timeout: 30_000 });
    // The flood is recorded: today's limits shed some of it.
    await expect(whatIf.getByTestId('what-if-today')).toHaveText(/· [1-9][\d,]* shed$/, { timeout: 30_000 });
    const limits = page.getByRole('form', { name: 'Fairness limits' });
    // A limit far above the flood: the replay sheds nothing, before anything is saved.
    await limits.getByLabel('Ingest rate (units/s)').fill('1000000');
    await limits.getByLabel('Ingest burst (units)').fill('');
    await expect(whatIf).toContainText('Proposed (1,000,000/s', { timeout: 30_000 });
    await expect(predicted).toHaveText(/· 0 shed$/, { timeout: 30_000 });
    // A tiny one sheds more than today.
    await limits.getByLabel('Ingest rate (units/s)').fill('5');
    await limits.getByLabel('Ingest burst (units)').fill('5');
    await expect(whatIf).toContainText('Proposed (5/s, burst 5)', { timeout: 30_000 });
    await expect(predicted).toHaveText(/· [1-9][\d,]* shed$/, { timeout: 30_000 });
    await keep(page, testInfo, 'fairness-what-if');
    // Saved: live from the next request; the live chart keeps drawing.
    await limits.getByLabel('Ingest rate (units/s)').fill('50000');
    await limits.getByLabel('Ingest burst (units)').fill('');
    await limits.getByRole('button', { name: 'Save fairness limits' }).click();
    await expect(limits.getByText('Saved')).toBeVisible();
    await expect(whatIf).toContainText('Recorded (saved limits 50,000/s, burst 100,000)', { timeout: 30_000 });
    await expect(page.getByTestId('fairness-chart').first()).toBeVisible();
    await keep(page, testInfo, 'fairness-saved-during-flood');

    await page.goto(`${signedInConsole.origin}/#/simulator`);
    await page.getByRole('form', { name: 'Scenario' }).getByRole('button', { name: 'Stop' }).click();
    await expect(page.getByTestId('simulator-run')).toHaveAttribute('data-state', 'stopped');
    await context.close();
  });
});

test('an empty console offers Run the demo: one click starts it and opens the panel', async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-demo-'));
  const { child, launchUrl } = await startBrowserConsole(dataDir);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await setUpAndSignIn(page, launchUrl, 'admin', 'e2e-demo-correct-horse');
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Tenants' }).click();
    const demo = page.getByTestId('run-demo');
    await expect(demo).toContainText('No tenants yet');
    await keep(page, testInfo, 'empty-console-run-the-demo');
    await demo.getByRole('button', { name: 'Run the demo' }).click();
    await expect(page).toHaveURL(/#\/simulator$/);
    const run = page.getByTestId('simulator-run');
    await expect(run).toHaveAttribute('data-state', 'running');
    await expect(run).toContainText('demo');
    // Its first part, the noisy neighbour, draws its tenants.
    await expect(page.getByTestId('simulator-tenant').first()).toBeVisible({ timeout: SETUP_MS });
    await keep(page, testInfo, 'demo-running');
    // The whole demo is about a minute more here; the report of a scenario is checked above.
    await page.getByRole('form', { name: 'Scenario' }).getByRole('button', { name: 'Stop' }).click();
    await expect(run).toHaveAttribute('data-state', 'stopped');
    // Its tenants stay: the console is no longer empty.
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Tenants' }).click();
    await expect(page.getByTestId('run-demo')).toHaveCount(0, { timeout: 30_000 });
    await context.close();
  } finally {
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
