import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { generate } from 'otplib';
import { exitWithParentArgs } from '../helpers/cli-process';

const appRoot = resolve(import.meta.dirname, '..', '..');

export interface BrowserConsole {
  /** The launch URL with this run's secret (it works once). */
  launchUrl: string;
  /** The origin, without the secret. */
  origin: string;
  dataDir: string;
}

/** A console whose first admin exists and is signed in; contexts made with `storageState` are admitted. */
export interface SignedInConsole extends BrowserConsole {
  storageState: NonNullable<BrowserContextOptions['storageState']>;
  username: string;
  password: string;
  totpSecret: string;
}

/** Starts `console:browser` (the real router, embedded control plane and all) on a fresh data dir. */
export async function startBrowserConsole(dataDir: string, extraArgs: readonly string[] = []): Promise<{ child: ChildProcess; launchUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, join(appRoot, 'src-main', 'browser', 'cli.ts'), '--data', dataDir, '--json', ...extraArgs], {
    cwd: appRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const launchUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('console:browser did not print its launch URL within 30 s')), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url?: string };
        if (event.event === 'listening' && typeof event.url === 'string') {
          clearTimeout(timer);
          resolveUrl(event.url);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`console:browser exited early with code ${code ?? '?'}`));
    });
  });
  return { child, launchUrl };
}

async function stopBrowserConsole(child: ChildProcess, dataDir: string): Promise<void> {
  await new Promise<void>((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * First run through the UI: creates the admin, reads the TOTP secret off the enrollment screen,
 * confirms it with a first code and passes the recovery codes; enrollment signs the admin in.
 */
export async function setUpAndSignIn(page: Page, launchUrl: string, username: string, password: string): Promise<string> {
  await page.goto(launchUrl);
  return completeFirstRun(page, username, password);
}

/** A control plane a spec starts itself, as the console adds it: address, CA and its first admin. */
export interface RemotePlane {
  url: string;
  ca_pem: string;
  admin: { username: string; password: string; totpSecret: string };
}

/** On a signed-in console: adds `plane` on the Connections screen as `name`, switches to it and signs in as its admin. */
export async function connectAndSignIn(page: Page, name: string, plane: RemotePlane): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Console sections' });
  await nav.getByRole('link', { name: 'Connections' }).click();
  const form = page.getByRole('form', { name: 'Add a remote control plane' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Address').fill(plane.url);
  await form.getByLabel('CA certificate', { exact: true }).fill(plane.ca_pem);
  await form.getByRole('button', { name: 'Add connection' }).click();
  await page.getByRole('button', { name: /Switch connection/ }).click();
  await page.getByRole('group', { name: 'Switch connection' }).getByRole('button', { name: `Switch to ${name}` }).click();
  await page.getByLabel('Username').fill(plane.admin.username);
  await page.getByLabel('Password', { exact: true }).fill(plane.admin.password);
  await page.getByLabel('Authenticator code').fill(await generate({ secret: plane.admin.totpSecret }));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible({ timeout: 30_000 });
}

/** Stops a control plane a spec started (SIGTERM) and waits for it to exit; nothing if it already has. */
export async function stopChild(running: ChildProcess | null): Promise<void> {
  if (running === null || running.exitCode !== null) return;
  await new Promise<void>((done) => {
    running.once('exit', () => done());
    running.kill('SIGTERM');
  });
}

/** The first-run screens on a page already showing them: the first administrator, enrolled and signed in. Returns the TOTP secret. */
export async function completeFirstRun(page: Page, username: string, password: string): Promise<string> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  const uri = await page.getByTestId('totp-uri').textContent();
  const secret = new URL(uri ?? '').searchParams.get('secret') ?? '';
  await page.getByLabel('Code from your app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Confirm and finish' }).click();
  await page.getByLabel('I have saved these codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  return secret;
}

async function signedInConsole(browser: Browser, use: (value: SignedInConsole) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-shared-'));
  const { child, launchUrl } = await startBrowserConsole(dataDir);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const username = 'admin';
    const password = 'e2e-shared-correct-horse';
    const totpSecret = await setUpAndSignIn(page, launchUrl, username, password);
    // The admission cookie: the launch link is spent, so later contexts get in with this.
    const storageState = await context.storageState();
    await context.close();
    await use({ launchUrl, origin: new URL(launchUrl).origin, dataDir, storageState, username, password, totpSecret });
  } finally {
    await stopBrowserConsole(child, dataDir);
  }
}

export const test = base.extend<{ browserConsole: BrowserConsole; consoleArgs: string[] }, { signedInConsole: SignedInConsole }>({
  /** Extra console:browser flags for a spec (`test.use({ consoleArgs: [...] })`), e.g. --idle-lock-seconds. */
  consoleArgs: [[], { option: true }],
  browserConsole: async ({ consoleArgs }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-'));
    const { child, launchUrl } = await startBrowserConsole(dataDir, consoleArgs);
    try {
      await use({ launchUrl, origin: new URL(launchUrl).origin, dataDir });
    } finally {
      await stopBrowserConsole(child, dataDir);
    }
  },
  // One console per worker, set up and signed in once: the session lives in the console, not the page.
  signedInConsole: [
    async ({ browser }, use) => {
      await signedInConsole(browser, use);
    },
    { scope: 'worker', timeout: 90_000 },
  ],
});

export { expect } from '@playwright/test';
