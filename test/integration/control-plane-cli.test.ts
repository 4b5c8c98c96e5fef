import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTree, TempDirs } from '../helpers/startup-fixtures';
import { exitWithParentArgs } from '../helpers/cli-process';

/** The repository root, found from this file so the test runs from any clone. */
const repoRoot = resolve(import.meta.dirname, '..', '..');
const PASSWORD = 'integration-test-password-7f3a';
const STDIN_PASSWORD = 'password-from-stdin-91c2';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Everything any child printed, to check that no password ever appears. */
const transcripts: string[] = [];

/** The test runner's environment without any deployment key or admin password, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => name !== 'BULKHEAD_DEPLOYMENT_KEY' && name !== 'BULKHEAD_ADMIN_PASSWORD');
  return { ...Object.fromEntries(inherited), ...extra };
}

function start(args: string[], env: Record<string, string>): ChildProcessByStdio<Writable, Readable, Readable> {
  return spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, 'control-plane/cli.ts', ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to completion. */
function run(args: string[], env: Record<string, string> = {}, input?: string): Promise<Outcome> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      transcripts.push(stdout, stderr);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

describe('control-plane CLI (real child processes)', () => {
  const temp = new TempDirs();
  let deploymentKey: string;
  let dataDir: string;
  let initJson: Record<string, unknown>;

  beforeAll(async () => {
    const keygen = await run(['keygen']);
    expect(keygen.code).toBe(0);
    deploymentKey = keygen.stdout.trim();
    dataDir = join(temp.make('bulkhead-cli-'), 'data');
    const init = await run(['init', '--data', dataDir, '--admin', 'admin', '--json'], {
      BULKHEAD_DEPLOYMENT_KEY: deploymentKey,
      BULKHEAD_ADMIN_PASSWORD: PASSWORD,
    });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    initJson = JSON.parse(init.stdout) as Record<string, unknown>;
  });

  afterAll(() => temp.cleanup());

  it('--help lists init, serve, keygen, metrics-token and license', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['init', 'serve', 'keygen', 'metrics-token', 'license']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  it('keygen prints a 44-character base64 key of 32 bytes', () => {
    expect(deploymentKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(deploymentKey, 'base64')).toHaveLength(32);
  });

  it('init --json prints the data dir, CA path and the admin TOTP enrollment once', () => {
    expect(initJson).toMatchObject({
      data_dir: dataDir,
      ca_cert: join(dataDir, 'tls', 'ca.crt'),
      admin: { username: 'admin', id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown },
    });
    const uri = initJson.otpauth_uri;
    expect(typeof uri).toBe('string');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Bulkhead:admin\?/);
    expect(new URL(String(uri)).searchParams.get('secret')).toBe(initJson.secret);
    expect(readdirSync(dataDir).sort()).toEqual(['control-plane.db', 'deployment.json', 'license.json', 'tls']);
  });

  it('init on the same dir again exits non-zero with a clear message and changes nothing', async () => {
    const before = snapshotTree(join(dataDir, '..'));
    const again = await run(['init', '--data', dataDir, '--admin', 'second', '--json'], {
      BULKHEAD_DEPLOYMENT_KEY: deploymentKey,
      BULKHEAD_ADMIN_PASSWORD: PASSWORD,
    });
    expect(again.code).not.toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`control-plane: ${dataDir} already exists and is not empty; init changes nothing. Use serve, or choose a new directory.\n`);
    expect(snapshotTree(join(dataDir, '..'))).toEqual(before);
  });

  it('tls renew adds a name to the data dir certificate from the same CA; a bad name exits 1 and changes nothing', async () => {
    const caBefore = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const certBefore = readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8');
    const bad = await run(['tls', 'renew', '--data', dataDir, '--san', 'not a name'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('control-plane: --san "not a name" is neither a DNS name nor an IP address.\n');
    expect(readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8')).toBe(certBefore);

    const renewed = await run(['tls', 'renew', '--data', dataDir, '--san', 'cp.msp.example'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    expect(renewed.stderr).toBe('');
    expect(renewed.code).toBe(0);
    expect(renewed.stdout).toMatch(/^Renewed .*server\.crt: valid until \d{4}-\d\d-\d\dT.* for localhost, 127\.0\.0\.1, (::1|0:0:0:0:0:0:0:1), cp\.msp\.example\.\n$/);
    const leaf = new X509Certificate(readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8'));
    expect(leaf.subjectAltName).toContain('DNS:cp.msp.example');
    expect(leaf.verify(new X509Certificate(caBefore).publicKey)).toBe(true);
    expect(readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')).toBe(caBefore);
  });

  it('init --password-stdin reads the password from standard input', async () => {
    const other = join(temp.make('bulkhead-cli-stdin-'), 'data');
    const init = await run(['init', '--data', other, '--admin', 'ops-admin', '--password-stdin', '--json'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey }, `${STDIN_PASSWORD}\n`);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const result = JSON.parse(init.stdout) as { admin: { username: string }; otpauth_uri: string };
    expect(result.admin.username).toBe('ops-admin');
    expect(result.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Bulkhead:ops-admin\?/);
    expect(readFileSync(join(other, 'control-plane.db')).toString('latin1')).not.toContain(STDIN_PASSWORD);
  });

  it('serve without the deployment key exits non-zero with one line naming BULKHEAD_DEPLOYMENT_KEY', async () => {
    const before = snapshotTree(dataDir);
    const refused = await run(['serve', '--data', dataDir, '--listen', '127.0.0.1:0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    const lines = refused.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^control-plane: No deployment encryption key: set BULKHEAD_DEPLOYMENT_KEY/);
    expect(snapshotTree(dataDir)).toEqual(before);
  });

  it('serve refuses a --telemetry-cells outside 1 to 64, naming the option, and changes nothing', async () => {
    const before = snapshotTree(dataDir);
    for (const value of ['0', '65', 'two']) {
      const refused = await run(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--telemetry-cells', value], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
      expect(refused.code, value).not.toBe(0);
      expect(refused.stderr).toContain(`option '--telemetry-cells <n>' argument '${value}' is invalid. must be a whole number from 1 to 64`);
    }
    expect(snapshotTree(dataDir)).toEqual(before);
  });

  // One child process (a spawn is slow on a busy machine); --max-tenant-connections has the same parser.
  it('serve refuses a --max-agent-connections that is not a positive whole number, naming the option', async () => {
    const refused = await run(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--max-agent-connections', '0'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("option '--max-agent-connections <n>' argument '0' is invalid. must be a positive whole number");
  });

  // One child process (a spawn is slow on a busy machine); host-names.test.ts covers the names refused.
  it('serve refuses a --base-domain that is not a domain name, naming the option', async () => {
    const refused = await run(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--base-domain', 'tenants.example.test:8443'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("option '--base-domain <domain>' argument 'tenants.example.test:8443' is invalid. must be a domain name");
  });

  it('metrics-token writes a 0600 bhm_ token file once; serve refuses a file that holds anything else, in one line', async () => {
    const dir = temp.make('bulkhead-cli-metrics-');
    const tokenFile = join(dir, 'metrics.token');
    const made = await run(['metrics-token', '--out', tokenFile]);
    expect(made.code).toBe(0);
    expect(made.stdout).toBe('');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^bhm_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).not.toContain(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const again = await run(['metrics-token', '--out', tokenFile]);
    expect(again.code).not.toBe(0);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);

    const before = snapshotTree(dataDir);
    const badFile = join(dir, 'bad.token');
    writeFileSync(badFile, 'a-password-someone-typed\n');
    const refused = await run(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--metrics-token-file', badFile], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    expect(refused.code).not.toBe(0);
    const lines = refused.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/metrics token file must hold one bhm_ token/);
    expect(refused.stderr).not.toContain('a-password-someone-typed');
    expect(snapshotTree(dataDir)).toEqual(before);
  });

  it('serve listens over HTTPS with the data dir certificate and exits 0 on SIGTERM', async () => {
    const child = start(['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        transcripts.push(stdout, stderr);
        resolvePromise({ code, signal });
      });
    });
    try {
      const url = await new Promise<string>((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no "listening" line within 20 s; stdout: ${stdout} stderr: ${stderr}`));
        }, 20_000);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          for (const line of stdout.split('\n')) {
            if (!line.includes('"event":"listening"')) continue;
            const record = JSON.parse(line) as { url?: unknown };
            if (typeof record.url === 'string') {
              clearTimeout(timer);
              resolvePromise(record.url);
            }
          }
        });
        void exited.then(({ code }) => {
          clearTimeout(timer);
          reject(new Error(`serve exited (${code}) before listening: ${stderr}`));
        });
      });
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

      const agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
      try {
        const response = await request(`${url}/healthz`, { dispatcher: agent });
        expect(response.statusCode).toBe(200);
        expect(await response.body.json()).toEqual({ status: 'ok' });
      } finally {
        await agent.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('"msg":"closing"');
  });

  // Runs last (tests in a file run in order): every child above has been recorded by then.
  it('never printed an admin password on any child stdout or stderr', () => {
    expect(transcripts.length).toBeGreaterThanOrEqual(4);
    for (const text of transcripts) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(STDIN_PASSWORD);
    }
  });
});
