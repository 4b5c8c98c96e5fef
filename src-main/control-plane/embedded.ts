import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { ControlPlaneStatus } from '../../contracts/ipc';
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
}

const InitOutput = z.object({ otpauth_uri: z.string(), secret: z.string(), admin: z.object({ username: z.string() }) });
const ListeningLine = z.object({ event: z.literal('listening'), url: z.string() });

/**
 * The control plane the console runs for itself: a child Node process serving HTTPS on a random
 * loopback port, reached like any remote one (undici, CA pinned). A child process keeps the
 * console's window responsive and lets the control plane use Node's own native modules.
 */
export class EmbeddedControlPlane {
  private child: ChildProcess | null = null;
  private current: ControlPlaneStatus = { kind: 'embedded', url: null, state: 'starting', message: null };
  private target: ControlPlaneTarget | null = null;
  private readonly keys: DeploymentKeyStore;

  constructor(private readonly options: EmbeddedOptions) {
    this.keys = new DeploymentKeyStore(options.consoleDataDir, options.keySealer ?? null);
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
    if (!this.isInitialized()) {
      return this.setStatus({ state: 'setup_required', url: null, message: 'No provider admin yet: create the first one.' });
    }
    this.setStatus({ state: 'starting', url: null, message: null });
    let key: string;
    try {
      key = this.keys.read();
    } catch (error) {
      if (!(error instanceof ConsoleError)) throw error;
      return this.setStatus({ state: 'failed', url: null, message: error.message });
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
      let settled = false;
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.options.log?.(line);
        const listening = ListeningLine.safeParse(safeJson(line));
        if (!settled && listening.success) {
          settled = true;
          this.target = { url: listening.data.url, caPem: readFileSync(join(this.dataDir, 'tls', 'ca.crt'), 'utf8') };
          resolve(this.setStatus({ state: 'ready', url: listening.data.url, message: null }));
        }
      });
      child.once('exit', (code, signal) => {
        this.child = null;
        this.target = null;
        const reason = stderrTail.find((line) => line.startsWith('control-plane:')) ?? stderrTail.at(-1) ?? `exited with ${signal ?? `code ${code ?? '?'}`}`;
        const status = this.setStatus({ state: 'failed', url: null, message: `The embedded control plane stopped: ${reason}` });
        if (!settled) {
          settled = true;
          resolve(status);
        }
      });
    });
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

  async stop(): Promise<void> {
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

  private setStatus(change: Omit<ControlPlaneStatus, 'kind'>): ControlPlaneStatus {
    this.current = { kind: 'embedded', ...change };
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
