import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import { electronBinary } from './electron-binary';

const appRoot = resolve(import.meta.dirname, '..', '..');

// Where Electron's binary is installed, `npm start` opens the desktop window instead (electron.spec.ts covers that window).
test.skip(electronBinary() !== null, 'Electron binary installed: npm start opens the Electron window, not browser mode');

test('npm start falls back to browser mode where Electron is missing: one line says so, the link is printed and works', async ({ page }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-start-'));
  // No graphical session: nothing is opened, and nothing fails for it.
  const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' };
  const child = spawn(process.execPath, [join(appRoot, 'scripts', 'start.mjs'), '--data', dataDir, '--json'], { cwd: appRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const url = await new Promise<string>((done, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no launch link within 60 s: ${stderr}`)), 60_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('{"event":"listening"')) {
          clearTimeout(timer);
          done((JSON.parse(line) as { url: string }).url);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code ?? '?'}: ${stderr}`));
      });
    });
    const notices = stderr.split('\n').filter((line) => line.startsWith('bulkhead:'));
    expect(notices).toEqual(["bulkhead: Electron's binary is not installed on this machine, so the console starts in browser mode (the same console, in your browser)."]);
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Set up Bulkhead' })).toBeVisible({ timeout: 30_000 });
    expect(child.exitCode).toBeNull();
  } finally {
    await new Promise<void>((done) => {
      if (child.exitCode !== null) {
        done();
        return;
      }
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
