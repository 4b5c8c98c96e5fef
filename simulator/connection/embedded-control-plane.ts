import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { SimulatorError } from '../errors';
import type { ControlPlaneTarget } from './api-client';
import type { OperatorCredentials } from './operator-session';

/** How to run the repository's control-plane CLI: a Node binary and the arguments before the command. */
export interface ControlPlaneCli {
  command: string;
  args: string[];
  cwd: string;
}

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** The control-plane CLI of this checkout, from its TypeScript source (always the code beside the simulator). */
export const repositoryCli: ControlPlaneCli = { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'control-plane', 'cli.ts')], cwd: repoRoot };

export interface EmbeddedOptions {
  cli?: ControlPlaneCli;
  /** Extra `serve` flags, e.g. ['--telemetry-cells', '1']. */
  serveArgs?: string[];
  /** Called with each line the control plane logs (JSON), e.g. to keep a tail for errors. */
  onLog?: (line: string) => void;
}

export interface EmbeddedControlPlane {
  target: ControlPlaneTarget;
  /** The first provider admin, made for this run. */
  operator: OperatorCredentials;
  dataDir: string;
  /** Stops the control plane and removes its data dir. */
  stop(): Promise<void>;
}

const InitOutput = z.object({ admin: z.object({ username: z.string() }), secret: z.string().min(16), ca_cert: z.string() });
const ListeningLine = z.object({ event: z.literal('listening'), url: z.string() });
const ADMIN = 'simulator-admin';

/** The child's environment: none of this process's BULKHEAD_* settings, plus the run's deployment key. */
function childEnv(deploymentKey: string | null): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BULKHEAD_')));
  return deploymentKey === null ? env : { ...env, BULKHEAD_DEPLOYMENT_KEY: deploymentKey };
}

function run(cli: ControlPlaneCli, args: string[], deploymentKey: string | null, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(cli.command, [...cli.args, ...args], { cwd: cli.cwd, env: childEnv(deploymentKey), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The control plane's own explanation of a failure (its `control-plane:` line), else the last line. */
function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  return lines.find((line) => line.startsWith('control-plane:'))?.replace(/^control-plane:\s*/, '') ?? lines.at(-1) ?? 'no output';
}

function waitForListening(child: ChildProcess, onLog: ((line: string) => void) | undefined, timeoutMs: number): Promise<string> {
  const stderrTail: string[] = [];
  return new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new SimulatorError(`the embedded control plane did not start listening within ${timeoutMs / 1000} s`)), timeoutMs);
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        stderrTail.push(line);
        stderrTail.splice(0, Math.max(0, stderrTail.length - 20));
        onLog?.(line);
      });
    }
    if (child.stdout !== null) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        onLog?.(line);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return;
        }
        const listening = ListeningLine.safeParse(parsed);
        if (listening.success) {
          clearTimeout(timer);
          done(listening.data.url);
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new SimulatorError(`the embedded control plane exited (${signal ?? `code ${String(code)}`}) before listening: ${reasonOf(stderrTail.join('\n'))}`));
    });
  });
}

/**
 * A control plane of the simulator's own, run exactly as an MSP runs one: `keygen`, `init` with a
 * first admin (its TOTP secret read from init's JSON, its enrollment confirmed at its first sign-in), then `serve` on a free loopback port, in a
 * temporary data dir that `stop()` removes. The simulator then reaches it only over HTTPS.
 */
export async function startEmbeddedControlPlane(options: EmbeddedOptions = {}): Promise<EmbeddedControlPlane> {
  const cli = options.cli ?? repositoryCli;
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-sim-'));
  const dataDir = join(root, 'data');
  let child: ChildProcess | null = null;
  const removeAll = () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  // If this process dies without stop(), the child and the temporary data dir still go.
  process.once('exit', removeAll);
  try {
    const keygen = await run(cli, ['keygen'], null);
    const deploymentKey = keygen.stdout.trim();
    if (keygen.code !== 0 || deploymentKey === '') throw new SimulatorError(`control-plane keygen failed: ${reasonOf(keygen.stderr)}`);
    const password = randomBytes(24).toString('base64url');
    const init = await run(cli, ['init', '--data', dataDir, '--admin', ADMIN, '--password-stdin', '--json'], deploymentKey, password);
    if (init.code !== 0) throw new SimulatorError(`control-plane init failed: ${reasonOf(init.stderr)}`);
    const initialized = InitOutput.parse(JSON.parse(init.stdout));
    const caPem = readFileSync(initialized.ca_cert, 'utf8');

    const serving = spawn(cli.command, [...cli.args, 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info', ...(options.serveArgs ?? [])], {
      cwd: cli.cwd,
      env: childEnv(deploymentKey),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = serving;
    const exited = new Promise<void>((done) => serving.once('exit', () => done()));
    const url = await waitForListening(serving, options.onLog, 60_000);
    return {
      target: { url, caPem },
      // init leaves the admin's enrollment pending; the simulator made it, so its first sign-in confirms it.
      operator: { username: initialized.admin.username, password, totpSecret: initialized.secret, mayConfirmEnrollment: true },
      dataDir,
      async stop() {
        if (serving.exitCode === null && serving.signalCode === null) {
          const killer = setTimeout(() => serving.kill('SIGKILL'), 10_000);
          serving.kill('SIGTERM');
          await exited;
          clearTimeout(killer);
        }
        process.off('exit', removeAll);
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    removeAll();
    process.off('exit', removeAll);
    throw error;
  }
}
