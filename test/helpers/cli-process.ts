import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * Node arguments that make a child exit when its parent dies (see exit-with-parent.ts); after
 * `--import tsx`, which loads the .ts. Every server or agent process a test or bench starts gets them.
 */
export const exitWithParentArgs: readonly string[] = ['--import', pathToFileURL(resolve(import.meta.dirname, 'exit-with-parent.ts')).href];

/** The environment without the runner's own secrets, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BULKHEAD_'));
  return { ...Object.fromEntries(inherited), ...extra };
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcessByStdio<Writable, Readable, Readable> {
  return spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, 'control-plane/cli.ts', ...args], { cwd: repoRoot, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs the control-plane CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((done, reject) => {
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export interface ServingProcess {
  url: string;
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `serve` and waits for its `listening` log line. */
export function startServe(args: string[], env: Record<string, string>): Promise<ServingProcess> {
  const child = spawnCli(['serve', '--listen', '127.0.0.1:0', '--log-level', 'info', ...args], env);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 30 s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url?: string };
        if (event.event === 'listening' && typeof event.url === 'string') {
          clearTimeout(timer);
          const url = event.url;
          done({
            url,
            child,
            exited,
            stop: (signal = 'SIGTERM') => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      } catch {
        // not a log line of ours
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)} before listening: ${stderr}`));
    });
  });
}
