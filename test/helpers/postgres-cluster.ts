// A throwaway PostgreSQL cluster for tests: initdb into a fresh temp dir, start it on a free
// loopback port with pg_ctl, check it answers a real query, and tear it all down again.
//
// Security note: the cluster is initialised with `--auth=trust`, so any connection that reaches it
// is accepted without a password. That is acceptable for a test cluster: it listens only on
// 127.0.0.1 and on a unix socket inside a 0700 temp dir, lives for one test run, and holds no data
// worth protecting. Never reuse this helper for anything that outlives a test run.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Client, escapeIdentifier } from 'pg';

export interface PostgresCluster {
  host: string;
  port: number;
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust auth: no password). */
  superuserUrl: string;
  dataDir: string;
  /** Stops the server (`pg_ctl stop -m immediate`) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Creates a database and returns a superuser URL to it. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server as a crash would (`-m immediate`), waits `downMs`, starts it again on the same port. */
  restart(downMs: number): Promise<void>;
}

export interface StartPostgresClusterOptions {
  /**
   * Trade durability for speed: `fsync=off`, `synchronous_commit=off`, `full_page_writes=off` and
   * `initdb --no-sync`. Off by default, because tests that kill servers need durable settings.
   */
  fast?: boolean;
}

const MIN_MAJOR_VERSION = 15;
const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const;
const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const START_TIMEOUT_SECONDS = 60;
const PORT_ATTEMPTS = 3;
/** Our settings live in their own file, included from postgresql.conf, so they survive restarts. */
const SETTINGS_FILE = 'bulkhead-test.conf';

// ---------------------------------------------------------------------------------------------
// Finding PostgreSQL

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const hasServerBinaries = (dir: string): boolean => REQUIRED_BINARIES.every((name) => isExecutableFile(join(dir, name)));

function majorVersion(binDir: string): number {
  try {
    // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"; --version is allowed as root.
    const output = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(output);
    return match?.[1] === undefined ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

/**
 * The directory holding initdb, pg_ctl and postgres of PostgreSQL 15 or newer: the highest
 * /usr/lib/postgresql/<major>/bin (Debian/Ubuntu layout), else the directory a `pg_ctl` on PATH
 * resolves to (Homebrew, /usr/local/pgsql, ...). Null when PostgreSQL is not installed.
 */
export function findPostgresBin(): string | null {
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const majors = readdirSync(debianRoot)
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((major) => major >= MIN_MAJOR_VERSION)
      .sort((a, b) => b - a);
    for (const major of majors) {
      const dir = join(debianRoot, String(major), 'bin');
      if (hasServerBinaries(dir)) return dir;
    }
  }
  for (const entry of (process.env.PATH ?? '').split(delimiter)) {
    if (entry === '') continue;
    const pgCtl = join(entry, 'pg_ctl');
    if (!isExecutableFile(pgCtl)) continue;
    const dir = dirname(realpathSync(pgCtl));
    if (hasServerBinaries(dir) && majorVersion(dir) >= MIN_MAJOR_VERSION) return dir;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Running the server binaries as the right OS user

interface OsUser {
  uid: number;
  gid: number;
}

function idOf(flag: '-u' | '-g', user: string): number {
  const value = Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  if (!Number.isInteger(value)) throw new Error(`Could not read ${flag === '-u' ? 'uid' : 'gid'} of OS user ${user}`);
  return value;
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` OS user, else as ourselves. */
function serverOsUser(): OsUser | null {
  if (process.getuid?.() !== 0) return null;
  try {
    return { uid: idOf('-u', SUPERUSER), gid: idOf('-g', SUPERUSER) };
  } catch (error) {
    throw new Error('Tests run as root and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as (apt-get install postgresql creates one).', { cause: error });
  }
}

/** The environment for initdb/pg_ctl: ours, minus libpq's PG* variables, with C locale messages. */
function serverEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('PG') || key.startsWith('LC_') || key === 'LANG') continue;
    env[key] = value;
  }
  return { ...env, LANG: 'C', LC_ALL: 'C', HOME: home };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function run(command: string, args: readonly string[], osUser: OsUser | null, cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: serverEnv(cwd),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      ...(osUser === null ? {} : { uid: osUser.uid, gid: osUser.gid }),
    });
    let output = '';
    const collect = (chunk: string): void => {
      output += chunk;
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({ code, signal, output });
    });
  });
}

const describeExit = (result: RunResult): string => (result.signal === null ? `exit code ${String(result.code)}` : `signal ${result.signal}`);

// ---------------------------------------------------------------------------------------------
// Processes, pids and the exit safety net

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

const hasProcFs = (): boolean => existsSync('/proc/self/stat');

/** State letter and parent pid from /proc/<pid>/stat; the command name may contain spaces and parens. */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** Alive and not a zombie (a container's pid 1 may never reap the orphaned postmaster). */
function isProcessAlive(pid: number): boolean {
  if (hasProcFs()) {
    const stat = procStat(pid);
    return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function childPids(parent: number): number[] {
  if (!hasProcFs()) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (procStat(pid)?.ppid === parent) children.push(pid);
  }
  return children;
}

/** The postmaster's pid: the first line of postmaster.pid, or null when the server is not running. */
function readPostmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function sigkill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** SIGKILL the postmaster and its children (backends would exit on postmaster death anyway). */
function killPostmaster(pid: number): void {
  const children = childPids(pid);
  sigkill(pid);
  for (const child of children) sigkill(child);
}

interface ClusterFiles {
  root: string;
  dataDir: string;
  /** The last postmaster pid we saw, in case postmaster.pid is gone or unreadable. */
  pid: number | null;
}

/** Clusters started by this process and not yet stopped. */
const liveClusters = new Set<ClusterFiles>();
let exitHookInstalled = false;

/**
 * Safety net: if this process exits (a crashed run, process.exit) with clusters still running,
 * SIGKILL their postmasters and remove their temp dirs. Only synchronous work is possible here.
 * A SIGKILL of this process itself cannot be caught; the postmaster then keeps running.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of liveClusters) {
      const pid = readPostmasterPid(cluster.dataDir) ?? cluster.pid;
      if (pid !== null && isProcessAlive(pid)) killPostmaster(pid);
      try {
        rmSync(cluster.root, { recursive: true, force: true });
      } catch {
        // Best effort.
      }
    }
    liveClusters.clear();
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Stop the server if it runs (immediate mode), SIGKILL whatever is left, wait for it to go. */
async function stopServer(binDir: string, files: ClusterFiles, osUser: OsUser | null): Promise<void> {
  const pid = readPostmasterPid(files.dataDir) ?? files.pid;
  if (existsSync(join(files.dataDir, 'postmaster.pid'))) {
    // -w waits until the postmaster (which waits for its children) has exited.
    await run(join(binDir, 'pg_ctl'), ['stop', '-D', files.dataDir, '-m', 'immediate', '-w', '-t', '30'], osUser, files.root, 45_000).catch(() => undefined);
  }
  if (pid === null) return;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const leftovers = [pid, ...childPids(pid)].filter(isProcessAlive);
    if (leftovers.length === 0) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${leftovers.join(', ')} survived SIGKILL`);
    for (const leftover of leftovers) sigkill(leftover);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Starting a cluster

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : null;
      server.close(() => {
        if (port === null) reject(new Error('Could not find a free port'));
        else resolve(port);
      });
    });
  });
}

function logTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

const quoteConfString = (value: string): string => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

function writeSettings(dataDir: string, socketDir: string, port: number, fast: boolean, osUser: OsUser | null): void {
  const settings = [
    '# Written by test/helpers/postgres-cluster.ts: a throwaway test cluster, loopback only.',
    `listen_addresses = ${quoteConfString(HOST)}`,
    `port = ${String(port)}`,
    `unix_socket_directories = ${quoteConfString(socketDir)}`,
    'max_connections = 200',
    ...(fast ? ['# fast: not crash-safe, for speed only.', 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
  ];
  const path = join(dataDir, SETTINGS_FILE);
  writeFileSync(path, `${settings.join('\n')}\n`, { mode: 0o600 });
  if (osUser !== null) chownSync(path, osUser.uid, osUser.gid);
}

function startupError(message: string, detail: string, logFile: string): Error {
  return new Error(`${message}\n${detail.trim()}\n--- tail of the server log ---\n${logTail(logFile)}`);
}

async function verify(url: string, logFile: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const result = await client.query<{ version: string }>('SELECT version()');
    if (!result.rows[0]?.version.startsWith('PostgreSQL')) throw new Error(`Unexpected SELECT version() result: ${JSON.stringify(result.rows)}`);
  } catch (error) {
    throw startupError(`PostgreSQL started but ${url} does not answer SELECT version()`, String(error), logFile);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * initdb a fresh cluster into a new temp dir, start it on a free loopback port and check that it
 * answers a query. Throws, with the tail of the server log, if it does not come up.
 */
export async function startPostgresCluster(options: StartPostgresClusterOptions = {}): Promise<PostgresCluster> {
  const fast = options.fast ?? false;
  const binDir = findPostgresBin();
  if (binDir === null) throw new Error(`PostgreSQL ${String(MIN_MAJOR_VERSION)}+ is not installed (no initdb/pg_ctl/postgres under /usr/lib/postgresql/<version>/bin or on PATH): apt-get install postgresql`);
  const osUser = serverOsUser();

  const root = mkdtempSync(join(tmpdir(), 'bulkhead-pg-'));
  const files: ClusterFiles = { root, dataDir: join(root, 'data'), pid: null };
  const socketDir = join(root, 'socket');
  const logFile = join(root, 'postgres.log');
  liveClusters.add(files);
  installExitHook();

  try {
    // The whole temp dir (0700) belongs to the server's OS user; as root we can still read the log
    // and remove it. Its parent (os.tmpdir()) must be traversable by that user.
    mkdirSync(socketDir, { mode: 0o700 });
    if (osUser !== null) {
      chownSync(root, osUser.uid, osUser.gid);
      chownSync(socketDir, osUser.uid, osUser.gid);
    }

    const initdbArgs = ['-D', files.dataDir, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', ...(fast ? ['--no-sync'] : [])];
    const initdb = await run(join(binDir, 'initdb'), initdbArgs, osUser, root, 120_000);
    if (initdb.code !== 0) {
      const hint = osUser === null ? '' : `\n(running as the postgres OS user: is ${tmpdir()} traversable by it?)`;
      throw new Error(`initdb failed (${describeExit(initdb)}):\n${initdb.output.trim()}${hint}`);
    }
    appendFileSync(join(files.dataDir, 'postgresql.conf'), `\ninclude '${SETTINGS_FILE}'\n`);

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      writeSettings(files.dataDir, socketDir, port, fast, osUser);
      const started = await run(join(binDir, 'pg_ctl'), ['start', '-D', files.dataDir, '-w', '-t', String(START_TIMEOUT_SECONDS), '-l', logFile], osUser, root, (START_TIMEOUT_SECONDS + 30) * 1000);
      files.pid = readPostmasterPid(files.dataDir) ?? files.pid;
      if (started.code === 0) break;
      // Another process may have taken the port between our probe and the server's bind: retry.
      const portTaken = /could not bind|address already in use/i.test(logTail(logFile, 20));
      if (!portTaken || attempt >= PORT_ATTEMPTS) throw startupError(`pg_ctl start failed (${describeExit(started)})`, started.output, logFile);
      await stopServer(binDir, files, osUser);
    }

    const url = (database: string): string => `postgresql://${SUPERUSER}@${HOST}:${String(port)}/${encodeURIComponent(database)}`;
    const superuserUrl = url('postgres');
    await verify(superuserUrl, logFile);

    let stopping: Promise<void> | undefined;
    return {
      host: HOST,
      port,
      superuserUrl,
      dataDir: files.dataDir,
      stop() {
        stopping ??= teardown(binDir, files, osUser);
        return stopping;
      },
      async restart(downMs) {
        if (stopping !== undefined) throw new Error('The PostgreSQL cluster has been stopped');
        await stopServer(binDir, files, osUser);
        await sleep(downMs);
        const started = await run(join(binDir, 'pg_ctl'), ['start', '-D', files.dataDir, '-w', '-t', String(START_TIMEOUT_SECONDS), '-l', logFile], osUser, root, (START_TIMEOUT_SECONDS + 30) * 1000);
        files.pid = readPostmasterPid(files.dataDir) ?? files.pid;
        if (started.code !== 0) throw startupError(`pg_ctl start after a restart failed (${describeExit(started)})`, started.output, logFile);
      },
      async createDatabase(name) {
        if (stopping !== undefined) throw new Error('The PostgreSQL cluster has been stopped');
        const client = new Client({ connectionString: superuserUrl });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
        } finally {
          await client.end();
        }
        return url(name);
      },
    };
  } catch (error) {
    await teardown(binDir, files, osUser).catch(() => undefined);
    throw error;
  }
}

async function teardown(binDir: string, files: ClusterFiles, osUser: OsUser | null): Promise<void> {
  try {
    await stopServer(binDir, files, osUser);
  } finally {
    liveClusters.delete(files);
    rmSync(files.root, { recursive: true, force: true, maxRetries: 3 });
  }
}
