import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test as base } from '@playwright/test';

const appRoot = resolve(import.meta.dirname, '..', '..');

export interface BrowserConsole {
  /** The launch URL with this run's secret. */
  launchUrl: string;
  /** The origin, without the secret. */
  origin: string;
  dataDir: string;
}

/** Starts `console:browser` (the real router, embedded control plane and all) on a fresh data dir. */
async function startBrowserConsole(dataDir: string, extraArgs: readonly string[]): Promise<{ child: ChildProcess; launchUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(appRoot, 'src-main', 'browser', 'cli.ts'), '--data', dataDir, '--json', ...extraArgs], {
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

export const test = base.extend<{ browserConsole: BrowserConsole; consoleArgs: string[] }>({
  /** Extra console:browser flags for a spec (`test.use({ consoleArgs: [...] })`), e.g. --idle-lock-seconds. */
  consoleArgs: [[], { option: true }],
  browserConsole: async ({ consoleArgs }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-'));
    const { child, launchUrl } = await startBrowserConsole(dataDir, consoleArgs);
    try {
      await use({ launchUrl, origin: new URL(launchUrl).origin, dataDir });
    } finally {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
