import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * The security gauntlet at its large size (test/gauntlet/, docs/security.md), on both engines: runs
 * `npm run gauntlet` with BULKHEAD_GAUNTLET_SIZE=large and answers its one-line summary.
 */
export function gauntletFigures(): Promise<{ summary: string; exit_code: number | null; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [resolve(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'gauntlet', '--project', 'gauntlet-postgres'], {
    cwd: repoRoot,
    env: { ...process.env, BULKHEAD_GAUNTLET_SIZE: 'large' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    process.stderr.write(chunk);
  });
  return new Promise((done, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const summary = output.split('\n').find((line) => line.startsWith('gauntlet (')) ?? 'no summary line';
      done({ summary, exit_code: code, seconds: Math.round((performance.now() - started) / 1000) });
    });
  });
}
