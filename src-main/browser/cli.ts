import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createConsoleHost } from '../console-host';
import { resolveControlPlaneCommand, resolveSimulatorWorker } from '../control-plane/cli-command';
import { folderSaver } from '../services/file-saver';
import { buildBrowserServer, type BrowserServer } from './browser-server';
import { openInBrowser } from './open-in-browser';

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
  .option('--json', 'print the launch URL, then the control plane state, as JSON lines (for scripts and tests)')
  .option('--open', 'also open the launch link in the system browser, where there is one')
  .option('--downloads <dir>', 'where usage exports and reports are saved (default: ~/Downloads)')
  .option('--idle-lock-seconds <seconds>', 'sign out after this long without activity, instead of the setting (default 15 minutes)', idleSeconds)
  .parse();

const options = program.opts<{ data: string; port: number; json?: boolean; open?: boolean; idleLockSeconds?: number; downloads?: string }>();
const version = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
const rendererDir = join(appRoot, 'out', 'renderer');
let server: BrowserServer | null = null;

const host = createConsoleHost({
  mode: 'browser',
  version,
  consoleDataDir: resolve(options.data),
  controlPlaneCli: resolveControlPlaneCommand(appRoot, process.execPath),
  simulatorWorker: resolveSimulatorWorker(appRoot, process.execPath),
  ...(options.idleLockSeconds === undefined ? {} : { idleLockSeconds: options.idleLockSeconds }),
  // Browser mode has no save dialog the console controls: files go to one folder chosen at launch.
  saveFile: folderSaver(resolve(options.downloads ?? join(homedir(), 'Downloads'))),
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
const { launchUrl } = await server.listen(options.port);
if (options.json) {
  process.stdout.write(JSON.stringify({ event: 'listening', url: launchUrl }) + '\n');
} else {
  process.stdout.write(`Bulkhead console (browser mode) for ${resolve(options.data)}\nOpen (works once): ${launchUrl}\n`);
}
if (options.open) {
  const opener = openInBrowser(launchUrl);
  if (opener !== null && !options.json) {
    process.stdout.write(`Asked ${opener} to open it in your browser.\n`);
  }
}

await host.start();
const status = host.embedded.status();
if (options.json) {
  process.stdout.write(JSON.stringify({ event: 'control_plane', state: status.state }) + '\n');
} else {
  process.stdout.write(`Embedded control plane: ${status.state}${status.url ? ` at ${status.url}` : ''}${status.message ? ` (${status.message})` : ''}\n`);
  // Browser mode has no OS keychain to seal the deployment key with: say where it is instead.
  process.stdout.write(`Deployment key: ${host.embedded.keyFile} (a file only you can read; browser mode has no OS keychain to seal it)\n`);
}

const shutdown = () => {
  void Promise.allSettled([server.app.close(), host.stop()]).then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
