import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Page, TestInfo } from '@playwright/test';
import { connectAndSignIn, expect, setUpAndSignIn, stopChild, test } from './fixtures';
import { exitWithParentArgs } from '../helpers/cli-process';

// The console as a witness of a remote control plane's provider ledger (#25), in Debian's Chromium
// (browser mode): the first head is kept, an honest append is "Witnessed", and once the provider
// rewrites its ledger under the running control plane (same key material, one entry changed, every
// root redone: it still verifies from the inside) the Audit screen and a tenant's Audit tab say
// "History rewritten", loudly, with both heads. Screenshots are kept in test-results/.

type Plane = { url: string; ca_pem: string; admin: { username: string; password: string; totpSecret: string } };

/** test/helpers/witness-plane.ts in a child process, told over stdin to grow or rewrite its ledger. */
async function startPlane(): Promise<{ child: ChildProcess; plane: Plane; lines: Interface }> {
  const root = resolve(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, resolve(root, 'test', 'helpers', 'witness-plane.ts')], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const plane = await new Promise<Plane>((done, reject) => {
    const timer = setTimeout(() => reject(new Error('the witness control plane did not start within 120 s')), 120_000);
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as Plane & { event: string };
      if (event.event === 'listening') {
        clearTimeout(timer);
        done(event);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the witness control plane exited with ${code ?? '?'}`));
    });
  });
  return { child, plane, lines };
}

/** A screenshot kept as a test artifact (attached to the report, and in test-results/). */
async function keep(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

test.describe('the console witnesses a remote provider ledger', () => {
  let child: ChildProcess | null = null;
  let plane: Plane;
  let lines: Interface;

  /** One command to the plane and its answer. */
  function tell(command: 'grow' | 'rewrite'): Promise<Record<string, unknown>> {
    return new Promise((done, reject) => {
      const listener = (line: string) => {
        if (!line.startsWith('{')) return;
        lines.off('line', listener);
        const answer = JSON.parse(line) as Record<string, unknown>;
        if (answer.event === 'error') reject(new Error(String(answer.message)));
        else done(answer);
      };
      lines.on('line', listener);
      child?.stdin?.write(`${command}\n`);
    });
  }

  test.beforeAll(async () => {
    test.setTimeout(150_000);
    ({ child, plane, lines } = await startPlane());
  });

  test.afterAll(async () => {
    await stopChild(child);
  });

  test('first head kept → Witnessed after an honest append → History rewritten after the ledger is rewritten, on the Audit screen and a tenant tab', async ({ page, browserConsole }, testInfo) => {
    test.setTimeout(240_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1280, height: 900 });
    await setUpAndSignIn(page, browserConsole.launchUrl, 'admin', 'e2e-witness-password');
    await connectAndSignIn(page, 'MSP', plane);

    // The first look keeps the head.
    await page.goto(`${browserConsole.origin}/#/audit`);
    const witness = page.getByTestId('ledger-witness');
    await expect(witness).toContainText(/Witnessing from now on: tree \d+/, { timeout: 30_000 });

    // The ledger grows honestly: the next look is witnessed against the kept head.
    await tell('grow');
    await page.getByRole('button', { name: 'Check the head again' }).click();
    await expect(witness).toContainText(/Witnessed: tree \d+, consistent with the head kept at /, { timeout: 30_000 });
    await expect(page.getByRole('alert')).toHaveCount(0);
    await keep(page, testInfo, 'witness-consistent');

    // The provider rewrites its ledger under the running control plane; inside verification still passes.
    await tell('rewrite');
    await page.reload();
    const alarm = page.getByTestId('witness-alarm');
    await expect(alarm).toBeVisible({ timeout: 30_000 });
    await expect(alarm).toHaveAttribute('role', 'alert');
    await expect(alarm).toContainText('History rewritten');
    await expect(alarm).toContainText('The kept head is not replaced');
    await expect(alarm.getByLabel(/^Kept head/)).toContainText('tree size');
    await expect(alarm.getByLabel('New head')).toContainText('tree size');
    await expect(page.getByTestId('witness-recorded')).toContainText(/Recorded by the control plane as WITNESS_FAILED, entry \d+ of the provider ledger\./);
    await page.getByRole('button', { name: 'Verify provider ledger' }).click();
    await expect(page.getByText('Ledger verified')).toBeVisible({ timeout: 30_000 });
    await keep(page, testInfo, 'witness-history-rewritten');

    // A tenant's Audit tab witnesses the same ledger: still rewritten against the kept head, the failure in the list.
    await page.goto(`${browserConsole.origin}/#/tenants/witnessed-1/audit`);
    await expect(page.getByTestId('witness-alarm')).toContainText('History rewritten', { timeout: 30_000 });
    await keep(page, testInfo, 'witness-tenant-audit-rewritten');
    expect(errors).toEqual([]);
  });
});
