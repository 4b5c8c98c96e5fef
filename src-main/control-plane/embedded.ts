import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { EMBEDDED_CONNECTION_ID, type ControlPlaneStatus } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import type { ControlPlaneTarget } from './client';
import { DeploymentKeyStore, type KeySealer } from './deployment-key';

/** How to run the control-plane CLI: a Node binary and the arguments that reach `cli.ts`. */
export interface ControlPlaneCommand {
  command: string;
  args: string[];
  cwd: string;
}

export interface EmbeddedOptions {
  /** The console's own data dir; the control plane lives in `<dir>/control-plane`. */
  consoleDataDir: string;
  cli: ControlPlaneCommand;
  onStatus?: (status: ControlPlaneStatus) => void;
  /** Where the child's log lines go (never to the renderer). */
  log?: (line: string) => void;
  /** The OS keychain (Electron's safeStorage) to seal the deployment key with; none in browser mode. */
  keySealer?: KeySealer | null;
  restartPolicy?: RestartPolicy;
}

/** How a crashed control plane is restarted: after 1 s, 2 s, 4 s ... up to the cap; counting anew once it ran steadily. */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Up this long, a control plane is steady again: its next crash waits the initial delay. */
  steadyAfterMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, steadyAfterMs: 60_000 };

/** The wait before restart number `attempt` (1-based). */
export function restartDelay(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
}

const InitOutput = z.object({ otpauth_uri: z.string(), secret: z.string(), admin: z.object({ username: z.string() }) });
const ListeningLine = z.object({ event: z.literal('listening'), url: z.string() });

type LaunchMode = 'start' | 'restart';

/**
 * The control plane the console runs for itself: a child Node process serving HTTPS on a random
 * loopback port, reached like any remote one (undici, CA pinned). A child process keeps the
 * console's window responsive, lets the control plane use Node's own native modules, and can die
 * without taking the console with it.
 *
 * It is supervised. A control plane that stops after it was ready is `crashed` and restarted with
 * back-off (`restarting` while a restart is under way); one that does not start at all (a wrong key,
 * a locked keychain, a bad license) is `failed` and waits for `retry()`, since starting it again
 * would fail the same way until someone fixes the cause.
 */
export class EmbeddedControlPlane {
  private child: ChildProcess | null = null;
  private current: ControlPlaneStatus = { kind: 'embedded', url: null, state: 'starting', message: null, connection_id: EMBEDDED_CONNECTION_ID };
  private target: ControlPlaneTarget | null = null;
  private readonly keys: DeploymentKeyStore;
  private readonly policy: RestartPolicy;
  /** Restarts after crashes in a row. */
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private steadyTimer: NodeJS.Timeout | null = null;
  private launching: Promise<ControlPlaneStatus> | null = null;
  private stopping = false;

  constructor(private readonly options: EmbeddedOptions) {
    this.keys = new DeploymentKeyStore(options.consoleDataDir, options.keySealer ?? null);
    this.policy = options.restartPolicy ?? defaultRestartPolicy;
  }

  get dataDir(): string {
    return join(this.options.consoleDataDir, 'control-plane');
  }

  /** The deployment key's plaintext file, used where the OS cannot seal it (0600). */
  get keyFile(): string {
    return this.keys.plainFile;
  }

  /** The deployment key's sealed file, used where the OS seals it. */
  get sealedKeyFile(): string {
    return this.keys.sealedFile;
  }

  /** How the deployment key is kept: sealed by the OS keychain, or in a 0600 file. */
  get keyProtection(): 'os_keychain' | 'file' {
    return this.keys.protection;
  }

  /** The running child's process id (for the console's log and tests), or null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  status(): ControlPlaneStatus {
    return this.current;
  }

  /** The running control plane's address and CA, or null while it is not ready. */
  connection(): ControlPlaneTarget | null {
    return this.target;
  }

  isInitialized(): boolean {
    return existsSync(join(this.dataDir, 'deployment.json'));
  }

  /** Starts the control plane, or reports `setup_required` when there is no data dir yet. */
  async start(): Promise<ControlPlaneStatus> {
    this.stopping = false;
    if (this.child !== null) return this.launching ?? this.current;
    return this.launch('start');
  }

  /**
   * "Check again": a crashed control plane is restarted now instead of at its back-off time, a
   * failed one is started again (its cause may be fixed), a running or starting one is left alone.
   */
  async retry(): Promise<ControlPlaneStatus> {
    if (this.launching !== null) return this.launching;
    switch (this.current.state) {
      case 'ready':
        return this.current;
      case 'crashed':
        this.clearRestartTimer();
        return this.launch('restart');
      default:
        return this.start();
    }
  }

  private launch(mode: LaunchMode): Promise<ControlPlaneStatus> {
    const launching = this.spawnServe(mode).finally(() => {
      if (this.launching === launching) this.launching = null;
    });
    this.launching = launching;
    return launching;
  }

  private async spawnServe(mode: LaunchMode): Promise<ControlPlaneStatus> {
    if (!this.isInitialized()) {
      return this.setStatus({ state: 'setup_required', url: null, message: 'No provider admin yet: create the first one.' });
    }
    if (mode === 'start') {
      this.restarts = 0;
      this.setStatus({ state: 'starting', url: null, message: null });
    } else {
      this.setStatus({ state: 'restarting', url: null, message: `Restarting the embedded control plane (restart ${this.restarts}).`, restarts: this.restarts });
    }
    let key: string;
    try {
      key = this.keys.read();
    } catch (error) {
      if (!(error instanceof ConsoleError)) throw error;
      return this.notRunning(mode, error.message);
    }
    const child = spawn(this.options.cli.command, [...this.options.cli.args, 'serve', '--data', this.dataDir, '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.options.cli.cwd,
      env: withKey(process.env, key),
    });
    this.child = child;
    const stderrTail: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      stderrTail.splice(0, Math.max(0, stderrTail.length - 5));
      this.options.log?.(line);
    });
    return new Promise((resolve) => {
      let ready = false;
      let settled = false;
      const settle = (status: ControlPlaneStatus) => {
        if (!settled) {
          settled = true;
          resolve(status);
        }
      };
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.options.log?.(line);
        const listening = ListeningLine.safeParse(safeJson(line));
        if (!ready && listening.success && this.child === child) {
          ready = true;
          this.target = { url: listening.data.url, caPem: readFileSync(join(this.dataDir, 'tls', 'ca.crt'), 'utf8') };
          this.armSteadyTimer();
          settle(this.setStatus({ state: 'ready', url: listening.data.url, message: null, ...(this.restarts > 0 ? { restarts: this.restarts } : {}) }));
        }
      });
      child.once('error', (error) => {
        // Spawning itself failed (no Node binary): 'exit' may not follow.
        if (this.child === child) this.child = null;
        settle(this.notRunning(mode, `could not start its process (${error.message})`));
      });
      child.once('exit', (code, signal) => {
        if (this.child !== child) return;
        this.child = null;
        this.target = null;
        this.clearSteadyTimer();
        const reason = stderrTail.find((line) => line.startsWith('control-plane:')) ?? stderrTail.at(-1) ?? (signal ? `killed by ${signal}` : `exited with code ${code ?? '?'}`);
        if (this.stopping) {
          settle(this.setStatus({ state: 'failed', url: null, message: 'The embedded control plane was stopped.' }));
        } else if (ready) {
          this.options.log?.(`embedded control plane stopped unexpectedly: ${reason}`);
          settle(this.crashed(reason));
        } else {
          settle(this.notRunning(mode, reason));
        }
      });
    });
  }

  /** A start that did not get to listening: a first start fails and waits; a restart backs off again. */
  private notRunning(mode: LaunchMode, reason: string): ControlPlaneStatus {
    if (mode === 'restart' && !this.stopping) return this.crashed(reason);
    return this.setStatus({ state: 'failed', url: null, message: `The embedded control plane stopped: ${reason}` });
  }

  private crashed(reason: string): ControlPlaneStatus {
    this.restarts += 1;
    const delay = restartDelay(this.policy, this.restarts);
    this.clearRestartTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping && this.launching === null) void this.launch('restart');
    }, delay);
    this.restartTimer.unref();
    return this.setStatus({
      state: 'crashed',
      url: null,
      message: `The embedded control plane stopped unexpectedly: ${reason}`,
      retry_at: new Date(Date.now() + delay).toISOString(),
      restarts: this.restarts,
    });
  }

  private armSteadyTimer(): void {
    this.clearSteadyTimer();
    this.steadyTimer = setTimeout(() => {
      this.steadyTimer = null;
      this.restarts = 0;
    }, this.policy.steadyAfterMs);
    this.steadyTimer.unref();
  }

  private clearSteadyTimer(): void {
    if (this.steadyTimer !== null) clearTimeout(this.steadyTimer);
    this.steadyTimer = null;
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /**
   * First run: generates the deployment key (sealed by the OS keychain where there is one, else a
   * 0600 file in the console's data dir), initializes the control plane with the first provider
   * admin, and starts it. Returns the TOTP enrollment once.
   */
  async setup(username: string, password: string): Promise<{ username: string; otpauth_uri: string; secret: string }> {
    if (this.isInitialized()) {
      throw new ConsoleError('already_initialized', 'This console already has a provider admin; sign in instead.');
    }
    mkdirSync(this.options.consoleDataDir, { recursive: true, mode: 0o700 });
    // One keychain read for init (a new key is already in hand); start() reads it once more.
    const key = this.keys.exists() ? this.keys.read() : this.keys.create();
    const { stdout, stderr, code } = await runWithStdin(
      this.options.cli,
      [...this.options.cli.args, 'init', '--data', this.dataDir, '--admin', username, '--password-stdin', '--json'],
      password,
      key,
    );
    if (code !== 0) {
      const reason = stderr.split('\n').find((line) => line.startsWith('control-plane:'))?.replace('control-plane: ', '') ?? 'init failed';
      throw new ConsoleError(/admin password|admin username/i.test(reason) ? 'invalid_request' : 'internal_error', reason);
    }
    const result = InitOutput.parse(JSON.parse(stdout));
    await this.start();
    return { username: result.admin.username, otpauth_uri: result.otpauth_uri, secret: result.secret };
  }

  /** Stops the control plane (and any restart waiting to happen); it is not restarted. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearRestartTimer();
    this.clearSteadyTimer();
    const child = this.child;
    if (!child) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private setStatus(change: Omit<ControlPlaneStatus, 'kind' | 'connection_id'>): ControlPlaneStatus {
    this.current = { kind: 'embedded', connection_id: EMBEDDED_CONNECTION_ID, ...change };
    this.options.onStatus?.(this.current);
    return this.current;
  }
}

/**
 * The child gets the deployment key in its own environment (never on its command line, never in
 * a file when the OS seals it) and none of the console's other secrets.
 */
function withKey(env: NodeJS.ProcessEnv, key: string): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.BULKHEAD_ADMIN_PASSWORD;
  copy.BULKHEAD_DEPLOYMENT_KEY = key;
  return copy;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function runWithStdin(cli: ControlPlaneCommand, args: string[], input: string, key: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.command, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: cli.cwd, env: withKey(process.env, key) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}
