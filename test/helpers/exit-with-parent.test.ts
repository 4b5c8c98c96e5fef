import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process';

/**
 * A `serve` started through spawnCli by a process that is then killed (SIGKILL: no clean-up of its
 * own) must not outlive it: the grandchild's watch (exit-with-parent.ts) sees its parent gone.
 */

const cliProcess = pathToFileURL(resolve(import.meta.dirname, 'cli-process.ts')).href;

/** Whether `pid` still runs: absent, or a zombie no one has reaped yet, is gone. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return !running(pid);
}

describe('children of spawnCli exit with their parent', () => {
  const key = randomBytes(32).toString('base64');
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bulkhead-exit-with-parent-'));
    dataDir = join(root, 'data');
    const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--json'], { BULKHEAD_DEPLOYMENT_KEY: key, BULKHEAD_ADMIN_PASSWORD: 'exit-with-parent-pw' });
    expect(init.code, init.stderr).toBe(0);
  }, 60_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('a serve whose parent is killed exits within a few seconds', async () => {
    // The intermediate: starts serve through the helper, says its pid, then waits to be killed.
    const script = `
      const { startServe } = await import(${JSON.stringify(cliProcess)});
      const server = await startServe(['--data', ${JSON.stringify(dataDir)}], { BULKHEAD_DEPLOYMENT_KEY: ${JSON.stringify(key)} });
      console.log(JSON.stringify({ pid: server.child.pid }));
      setInterval(() => {}, 60_000);
    `;
    const intermediate = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    intermediate.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(intermediate, 'exit');
    let pid = 0;
    try {
      const lines = createInterface({ input: intermediate.stdout });
      const [line] = (await Promise.race([once(lines, 'line'), exited.then(() => [null])])) as [string | null];
      expect(line, stderr).not.toBeNull();
      pid = (JSON.parse(line ?? '{}') as { pid: number }).pid;
      expect(running(pid)).toBe(true);
      intermediate.kill('SIGKILL');
      await exited;
      // The watch looks every second; serve then exits at once.
      expect(await goneWithin(pid, 5_000)).toBe(true);
    } finally {
      if (intermediate.exitCode === null && intermediate.signalCode === null) intermediate.kill('SIGKILL');
      // Should the watch fail, leave no serve behind on the shared machine.
      if (pid !== 0 && running(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});
