import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createConsoleHost } from '../console-host';
import { resolveControlPlaneCommand } from '../control-plane/cli-command';
import { buildBrowserServer, type BrowserServer } from './browser-server';

const appRoot = resolve(import.meta.dirname, '..', '..');

function defaultDataDir(): string {
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'bulkhead', 'console');
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('a port number (0 picks a free one)');
  }
  return n;
}

function idleSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 43_200) {
    throw new InvalidArgumentError('whole seconds, 1 to 43200');
  }
  return n;
}

const program = new Command()
  .name('console:browser')
  .description('The Bulkhead console in browser mode: the same IPC router, served on loopback to a browser.')
  .option('--data <dir>', 'console data dir (holds the embedded control plane and its deployment key)', defaultDataDir())
  .option('--port <port>', 'loopback port (0: a free one)', port, 0)
  .option('--json', 'print the launch URL as one JSON line (for scripts and tests)')
  .option('--idle-lock-seconds <seconds>', 'sign out after this long without activity, instead of the setting (default 15 minutes)', idleSeconds)
  .parse();

const options = program.opts<{ data: string; port: number; json?: boolean; idleLockSeconds?: number }>();
const version = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
const rendererDir = join(appRoot, 'out', 'renderer');
let server: BrowserServer | null = null;

const host = createConsoleHost({
  mode: 'browser',
  version,
  consoleDataDir: resolve(options.data),
  controlPlaneCli: resolveControlPlaneCommand(appRoot, process.execPath),
  ...(options.idleLockSeconds === undefined ? {} : { idleLockSeconds: options.idleLockSeconds }),
  emit: (event, payload) => {
    server?.broadcast(event, payload);
  },
  log: (message, error) => {
    if (error !== undefined) {
      process.stderr.write(`${message}: ${error instanceof Error ? error.message : 'unknown error'}\n`);
    }
  },
});

server = await buildBrowserServer({ router: host.router, rendererDir });
await server.app.listen({ host: '127.0.0.1', port: options.port });
const address = server.app.server.address();
const boundPort = typeof address === 'object' && address !== null ? address.port : options.port;
const launchUrl = `http://127.0.0.1:${boundPort}/launch?secret=${server.launchSecret}`;
if (options.json) {
  process.stdout.write(JSON.stringify({ event: 'listening', url: launchUrl }) + '\n');
} else {
  process.stdout.write(`Bulkhead console (browser mode) for ${resolve(options.data)}\nOpen: ${launchUrl}\n`);
}

const status = await host.embedded.start();
if (!options.json) {
  process.stdout.write(`Embedded control plane: ${status.state}${status.url ? ` at ${status.url}` : ''}${status.message ? ` (${status.message})` : ''}\n`);
}

const shutdown = () => {
  void Promise.allSettled([server.app.close(), host.stop()]).then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
