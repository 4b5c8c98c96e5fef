// The console's first screen in browser mode: from navigating to the launch link to the first
// interactive control (the first-run form's "Create administrator", enabled), in Debian's Chromium.
// The control plane is up before the clock starts: this times the shell (download, parse, render,
// the first app:info round trip), not the control plane's own start, which is reported beside it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from '@playwright/test';
import { exitWithParentArgs } from '../helpers/cli-process';

const appRoot = resolve(import.meta.dirname, '..', '..');
const chromiumPath = process.env.BULKHEAD_CHROMIUM ?? '/usr/bin/chromium';

type Sample = { first_interactive_ms: number; dom_content_loaded_ms: number; load_event_ms: number };

const round = (ms: number) => Math.round(ms * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function consoleFirstScreenFigures(runs = 7) {
  if (!existsSync(join(appRoot, 'out', 'renderer', 'index.html'))) {
    return { skipped: 'no renderer build in out/: run `npm run build` first' };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-console-'));
  const launched = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, join(appRoot, 'src-main', 'browser', 'cli.ts'), '--data', dataDir, '--json'], { cwd: appRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const events = createInterface({ input: child.stdout });
    const waitFor = (name: string) =>
      new Promise<{ at: number; event: Record<string, unknown> }>((done, reject) => {
        const timer = setTimeout(() => reject(new Error(`console:browser printed no ${name} event within 60 s`)), 60_000);
        const onLine = (line: string) => {
          if (!line.startsWith('{')) return;
          const event = JSON.parse(line) as Record<string, unknown>;
          if (event.event === name) {
            clearTimeout(timer);
            events.off('line', onLine);
            done({ at: performance.now(), event });
          }
        };
        events.on('line', onLine);
      });
    const listening = waitFor('listening');
    const controlPlane = waitFor('control_plane');
    const { at: listeningAt, event } = await listening;
    const launchUrl = String(event.url);
    const { at: readyAt, event: state } = await controlPlane;

    const samples: Sample[] = [];
    let storageState: Awaited<ReturnType<Awaited<ReturnType<typeof browser.newContext>>['storageState']>> | undefined;
    for (let run = 0; run < runs; run += 1) {
      // The first run spends the launch link; the later ones are new contexts holding its cookie (no HTTP cache: the server says no-store).
      const context = await browser.newContext(storageState ? { storageState } : {});
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(run === 0 ? launchUrl : new URL('/', launchUrl).href, { waitUntil: 'commit' });
      await page.getByRole('button', { name: 'Create administrator' }).and(page.locator(':enabled')).waitFor();
      const interactive = performance.now() - started;
      const timing = await page.evaluate(() => {
        const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return { domContentLoaded: entry?.domContentLoadedEventEnd ?? 0, load: entry?.loadEventEnd ?? 0 };
      });
      samples.push({ first_interactive_ms: round(interactive), dom_content_loaded_ms: round(timing.domContentLoaded), load_event_ms: round(timing.load) });
      storageState ??= await context.storageState();
      await context.close();
    }
    const interactive = samples.map((sample) => sample.first_interactive_ms);
    return {
      what: 'launch-link navigation to the first enabled control, browser mode, Debian Chromium headless',
      first_interactive_ms_first_run: interactive[0],
      first_interactive_ms_median: median(interactive),
      first_interactive_ms_max: Math.max(...interactive),
      samples,
      launch_to_link_printed_ms: round(listeningAt - launched),
      launch_to_control_plane_ms: round(readyAt - launched),
      control_plane_state: state.state,
    };
  } finally {
    await browser.close();
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
}
