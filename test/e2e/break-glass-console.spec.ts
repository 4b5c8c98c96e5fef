import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page, TestInfo } from '@playwright/test';
import { Agent, request } from 'undici';
import { connectAndSignIn, expect, setUpAndSignIn, stopChild, test } from './fixtures';
import { exitWithParentArgs } from '../helpers/cli-process';

type Plane = { url: string; ca_pem: string; admin: { username: string; password: string; totpSecret: string }; tenant: { slug: string; owner: string; approver: string } };
const MARKER_TARGET = 'https://marker-bg7.acme.example/health';

/** test/helpers/break-glass-plane.ts in a child process: tenant acme, handed over, with telemetry and an approver. */
async function startPlane(): Promise<{ child: ChildProcess; plane: Plane }> {
  const root = resolve(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, resolve(root, 'test', 'helpers', 'break-glass-plane.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const plane = await new Promise<Plane>((done, reject) => {
    const timer = setTimeout(() => reject(new Error('the break-glass control plane did not start within 120 s')), 120_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as Plane & { event: string };
      if (event.event === 'listening') {
        clearTimeout(timer);
        done(event);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the break-glass control plane exited with ${code ?? '?'}`));
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

test.describe('break-glass from the console, the tenant deciding in its own plane', () => {
  let child: ChildProcess | null = null;
  let plane: Plane;
  let dispatcher: Agent;

  /** The tenant's side: its own API, with its own credentials (never the console's). */
  async function tenantApi(method: 'GET' | 'POST', path: string, authorization: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await request(`${plane.url}${path}`, { method, dispatcher, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? null : JSON.stringify(body) });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  test.beforeAll(async () => {
    test.setTimeout(150_000);
    ({ child, plane } = await startPlane());
    dispatcher = new Agent({ connect: { ca: plane.ca_pem } });
  });

  test.afterAll(async () => {
    await dispatcher.close();
    await stopChild(child);
  });

  test('request → tenant approves → activate → scoped view with banner → tenant revokes → ended in place; ledger verify and an inclusion proof', async ({ page, browserConsole }, testInfo) => {
    test.setTimeout(240_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1280, height: 900 });
    await setUpAndSignIn(page, browserConsole.launchUrl, 'admin', 'e2e-break-glass-password');
    await connectAndSignIn(page, 'MSP', plane);
    const nav = page.getByRole('navigation', { name: 'Console sections' });

    // The operator opens a request on the tenant's Break-glass tab.
    await page.goto(`${browserConsole.origin}/#/tenants/acme`);
    await tab(page, 'Break-glass').click();
    await expect(page).toHaveURL(/#\/tenants\/acme\/break-glass$/);
    const open = page.getByRole('form', { name: 'Open a break-glass request' });
    await open.getByLabel('Reason').fill('INC-42: probe failures at acme, need raw results');
    await open.getByLabel('Duration (minutes)').fill('30');
    await open.getByRole('button', { name: 'Request access' }).click();
    await expect(page.getByText('Waiting for the tenant')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('break-glass-banner')).toHaveCount(0);
    await keep(page, testInfo, 'break-glass-pending');

    // The tenant's side: a person of acme approves in its own plane, shortening the grant to 20 minutes.
    const pending = await tenantApi('GET', '/v1/break-glass?state=pending', plane.tenant.owner);
    const items = pending.json.items as { id: string; reason: string }[];
    expect(items.map((item) => item.reason)).toEqual(['INC-42: probe failures at acme, need raw results']);
    const id = items[0]?.id ?? '';
    const approved = await tenantApi('POST', `/v1/break-glass/${id}/approve`, plane.tenant.approver, { duration_minutes: 20, comment: 'for INC-42' });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);

    // The console follows the request (polled) and activates it once approved.
    await page.getByRole('button', { name: 'Activate' }).click({ timeout: 60_000 });
    const banner = page.getByTestId('break-glass-banner');
    await expect(banner).toContainText("Every read is recorded in this tenant's ledger and in the provider ledger", { timeout: 30_000 });
    await expect(page.getByTestId('break-glass-time-left')).toHaveText(/^(20:00|19:[0-5][0-9])$/);
    await expect(page.getByRole('region', { name: 'Scoped telemetry' }).getByText(MARKER_TARGET).first()).toBeVisible({ timeout: 30_000 });
    await keep(page, testInfo, 'break-glass-active');

    // The read is in the tenant's own ledger, by the operator, before the view showed it.
    const ledger = await tenantApi('GET', '/v1/audit?event_type=BREAK_GLASS_READ&limit=100', plane.tenant.owner);
    expect((ledger.json.items as { actor: string; details: { request_id: string } }[]).some((entry) => entry.details.request_id === id && entry.actor === 'operator:admin')).toBe(true);

    // The tenant revokes it: the view ends in place, without a reload.
    const revoked = await tenantApi('POST', `/v1/break-glass/${id}/revoke`, plane.tenant.owner, { reason: 'INC-42 resolved' });
    expect(revoked.status, JSON.stringify(revoked.json)).toBe(200);
    await expect(page.getByTestId('break-glass-ended')).toContainText('INC-42 resolved', { timeout: 60_000 });
    await expect(banner).toHaveCount(0);
    await expect(page.getByText(MARKER_TARGET)).toHaveCount(0);
    await keep(page, testInfo, 'break-glass-revoked');

    // Audit: the provider ledger verifies, and one break-glass entry's inclusion proof checks in the console.
    await tab(page, 'Audit').click();
    await page.getByRole('button', { name: 'Verify provider ledger' }).click();
    await expect(page.getByText('Ledger verified')).toBeVisible({ timeout: 30_000 });
    const verifiedRoot = (await page.getByText(/entries recomputed; root/).locator('code').textContent()) ?? '';
    expect(verifiedRoot).toMatch(/^[0-9a-f]{64}$/);
    const readRow = page.getByRole('row', { name: /BREAK_GLASS_READ/ }).first();
    await readRow.getByRole('button', { name: /Prove entry/ }).click();
    await expect(page.getByTestId('proof-result')).toContainText('audit-path hashes lead to the root', { timeout: 30_000 });
    // Nothing was written between the two: the root the proof leads to is the root just verified.
    await expect(page.getByTestId('proof-result')).toContainText(verifiedRoot);
    await keep(page, testInfo, 'audit-inclusion-proof');

    // The provider-wide screens: acme's fairness among every tenant's, and the replicas (one, on SQLite).
    await nav.getByRole('link', { name: 'Fairness' }).click();
    const acmeRow = page.getByTestId('fairness-overview').locator('tr[data-slug="acme"]');
    await expect(acmeRow).toBeVisible({ timeout: 30_000 });
    // The rates are differences between two reads a poll apart: figures, not "…", once the second is in.
    await expect(acmeRow.locator('td').nth(1)).toHaveText(/^[0-9]/, { timeout: 30_000 });
    await expect(page.getByRole('columnheader', { name: /Shed/ })).toHaveAttribute('aria-sort', 'descending');
    await keep(page, testInfo, 'fairness-overview');
    await nav.getByRole('link', { name: 'Replicas' }).click();
    await expect(page.getByText('One replica: this control plane runs on SQLite')).toBeVisible({ timeout: 30_000 });
    await keep(page, testInfo, 'replicas-sqlite');

    expect(errors).toEqual([]);
  });
});
