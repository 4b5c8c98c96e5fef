import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import { generate } from 'otplib';
import { Agent, request } from 'undici';

const appRoot = resolve(import.meta.dirname, '..', '..');
const bundledCli = join(appRoot, 'out', 'main', 'control-plane.js');

/** Runs the bundled CLI to completion. */
function run(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bundledCli, ...args], { cwd: appRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

/**
 * The control plane as the console ships it: the CLI bundled by electron-vite (out/main), with its
 * telemetry writer thread a bundled module of its own. An acknowledged ingest batch proves the
 * thread starts from the bundle (202 means its transaction committed on that thread).
 */
test('the bundled control plane serves, and its telemetry writer thread commits an ingest batch', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-bundle-'));
  const dataDir = join(root, 'data');
  const key = (await run(['keygen'], {})).stdout.trim();
  const env = { BULKHEAD_DEPLOYMENT_KEY: key };
  const init = await run(['init', '--data', dataDir, '--admin', 'admin', '--password-stdin', '--json'], env, 'a-long-bundle-password\n');
  expect(init.code, init.stderr).toBe(0);
  const { secret } = JSON.parse(init.stdout) as { secret: string };
  const server = spawn(process.execPath, [bundledCli, 'serve', '--data', dataDir, '--listen', '127.0.0.1:0'], { cwd: appRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
  try {
    const url = await new Promise<string>((done, reject) => {
      const timer = setTimeout(() => reject(new Error('serve did not listen within 30 s')), 30_000);
      createInterface({ input: server.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const event = JSON.parse(line) as { event?: string; url?: string };
        if (event.event === 'listening' && typeof event.url === 'string') {
          clearTimeout(timer);
          done(event.url);
        }
      });
    });
    const api = async (method: 'GET' | 'POST', path: string, token: string | null, body?: unknown) => {
      const response = await request(`${url}${path}`, {
        method,
        dispatcher,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
      });
      return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
    };
    // init leaves the admin pending: its first code confirms the enrollment and signs it in.
    const operator = String((await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'admin', password: 'a-long-bundle-password', totp: await generate({ secret }) })).json.token);
    expect((await api('POST', '/provider/v1/tenants', operator, { slug: 'bundled', name: 'Bundled' })).status).toBe(201);
    const admin = String((await api('POST', '/provider/v1/tenants/bundled/admin-tokens', operator, { expires_in_seconds: 3600 })).json.token);
    const testId = String((await api('POST', '/v1/tests', admin, { name: 'probe', target: 'https://bundled.example/health', kind: 'http', interval_s: 60 })).json.id);
    const pool = String((await api('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id);
    const bootstrap = String((await api('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token);
    const agent = String((await api('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'probe' })).json.agent_token);
    const ingested = await api('POST', '/agent/v1/ingest', agent, { batch_id: 'bundled-1', results: [{ test_id: testId, ts: new Date().toISOString(), latency_ms: 4, ok: true }] });
    expect(ingested.status, JSON.stringify(ingested.json)).toBe(202);
    expect(ingested.json).toMatchObject({ admitted_units: 1, duplicate: false });
  } finally {
    await dispatcher.close();
    await new Promise<void>((done) => {
      server.once('exit', () => done());
      server.kill('SIGTERM');
    });
    rmSync(root, { recursive: true, force: true });
  }
});
