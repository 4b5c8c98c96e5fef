import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../control-plane/storage/open-storage';
import { runCli, startServe, type ServingProcess } from '../helpers/cli-process';
import { handOver } from '../helpers/control-plane-harness';
import { tenantUserAuthorization, type Call } from '../helpers/tenant-user';
import { engineName, gauntletSize, recordFigures } from './gauntlet-size';

const CREATES = gauntletSize === 'large' ? 24 : 8;
const ROWS = 20;

/**
 * Faults against a real `serve` process (SQLite: its data dir is the thing a crash or a full disk
 * hurts): kill -9 while siloed tenants are being provisioned and while a siloed tenant ingests, then
 * a restart on the same data dir; and a silo's directory out of space. Nothing acknowledged is lost,
 * no half tenant remains, ledgers verify, and a write that cannot be made answers 503
 * storage_unavailable, never 500. The logs of every run hold no secret.
 */
// SQLite only: PostgreSQL's own fault (a server restart under load) is postgres-restart.test.ts.
describe.skipIf(engineName !== 'sqlite')('gauntlet: kill -9 and a full disk (real serve process)', () => {
  const key = randomBytes(32).toString('base64');
  const password = 'gauntlet-faults-password';
  let root: string;
  let dataDir: string;
  let server: ServingProcess;
  let dispatcher: Agent;
  let operator = '';
  let logs = '';
  const secrets: string[] = [key, password];
  let faultsSurvived = 0;
  let requests = 0;
  let serverErrors = 0;
  const started = Date.now();

  const serve = async () => {
    server = await startServe(['--data', dataDir], { BULKHEAD_DEPLOYMENT_KEY: key });
    server.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
    server.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  };

  async function api(method: 'GET' | 'POST' | 'PUT', path: string, token: string | null, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await request(`${server.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    requests++;
    if (response.statusCode >= 500 && !text.includes('"storage_unavailable"')) serverErrors++;
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const call: Call = (method, path, authorization, body) => api(method, path, authorization?.replace(/^Bearer /, '') ?? null, body);

  /** A siloed tenant handed over, with an enrolled agent and a test: [admin token, agent token, test id, tenant id]. */
  async function siloedTenant(slug: string): Promise<{ admin: string; agent: string; testId: string; id: string }> {
    expect((await api('POST', '/provider/v1/tenants', operator, { slug, name: slug, isolation_model: 'siloed' })).status).toBe(201);
    await api('PUT', `/provider/v1/tenants/${slug}/fairness`, operator, { ingest_rate_per_sec: 1_000_000, query_budget: 1000 });
    const onboarding = String((await api('POST', `/provider/v1/tenants/${slug}/admin-tokens`, operator, { expires_in_seconds: 86_400 })).json.token);
    const admin = (await handOver(call, `Bearer ${onboarding}`, slug)).authorization.replace(/^Bearer /, '');
    const testId = String((await api('POST', '/v1/tests', admin, { name: 'probe', target: `https://${slug}.example/health`, kind: 'http', interval_s: 60 })).json.id);
    const pool = String((await api('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id);
    const bootstrap = String((await api('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token);
    const agent = String((await api('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'probe' })).json.agent_token);
    const id = String((await api('GET', '/v1/tenant', admin)).json.id);
    secrets.push(onboarding, admin, bootstrap, agent);
    return { admin, agent, testId, id };
  }

  const batch = (testId: string) => ({ batch_id: randomUUID(), results: Array.from({ length: ROWS }, (_, i) => ({ test_id: testId, ts: new Date(Date.now() - 1000 + i).toISOString(), latency_ms: i, ok: true })) });

  async function kill9AndRestart(): Promise<void> {
    await server.stop('SIGKILL');
    faultsSurvived++;
    await serve();
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bulkhead-gauntlet-faults-'));
    dataDir = join(root, 'data');
    const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--json'], { BULKHEAD_DEPLOYMENT_KEY: key, BULKHEAD_ADMIN_PASSWORD: password });
    expect(init.code, init.stderr).toBe(0);
    const secret = (JSON.parse(init.stdout) as { secret: string }).secret;
    secrets.push(secret);
    await serve();
    dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
    operator = String((await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'admin', password, totp: await generate({ secret }) })).json.token);
    secrets.push(operator);
  }, 120_000);

  afterAll(async () => {
    recordFigures({ part: 'faults', engine: engineName, requests, leaks: 0, serverErrors, faultsSurvived, durationMs: Date.now() - started });
    await dispatcher.close();
    await server.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('kill -9 during siloed provisioning: every acknowledged tenant is whole, no half tenant remains', { timeout: 300_000 }, async () => {
    const acknowledged: string[] = [];
    const creates = Array.from({ length: CREATES }, (_, i) => `silo-${i}`).map(async (slug, i) => {
      // Staggered, so the kill lands among creates in flight.
      await new Promise((resolve) => setTimeout(resolve, i * 40));
      const response = await api('POST', '/provider/v1/tenants', operator, { slug, name: slug, isolation_model: 'siloed' }).catch(() => null);
      if (response?.status === 201) acknowledged.push(slug);
    });
    await new Promise((resolve) => setTimeout(resolve, (CREATES * 40) / 2));
    await kill9AndRestart();
    await Promise.all(creates);
    const tenants = (await api('GET', '/provider/v1/tenants?limit=1000', operator)).json.items as { id: string; slug: string }[];
    for (const slug of acknowledged) expect(tenants.map((tenant) => tenant.slug), slug).toContain(slug);
    // No half tenant: every silo directory belongs to a tenant, and every siloed tenant's store opens.
    const silos = existsSync(join(dataDir, 'tenants')) ? readdirSync(join(dataDir, 'tenants')) : [];
    expect(silos.filter((id) => !tenants.some((tenant) => tenant.id === id))).toEqual([]);
    for (const tenant of tenants.filter((candidate) => candidate.slug.startsWith('silo-'))) {
      const token = await api('POST', `/provider/v1/tenants/${tenant.slug}/admin-tokens`, operator, { expires_in_seconds: 3600 });
      expect(token.status, tenant.slug).toBe(201);
      secrets.push(String(token.json.token));
      expect((await api('GET', '/v1/tests', String(token.json.token))).status, tenant.slug).toBe(200);
    }
    expect((await api('GET', '/provider/v1/audit/verify', operator)).json.ok).toBe(true);
  });

  it('kill -9 during ingest into a silo: every acknowledged batch is there after the restart', { timeout: 300_000 }, async () => {
    const tenant = await siloedTenant('ingesting');
    const acknowledged = new Set<string>();
    // An object, not a let: the other senders see it flip while they await.
    const run: { killed: boolean } = { killed: false };
    const killOnce = async () => {
      if (run.killed) return;
      run.killed = true;
      await kill9AndRestart();
    };
    const sender = async () => {
      while (!run.killed) {
        const body = batch(tenant.testId);
        const response = await api('POST', '/agent/v1/ingest', tenant.agent, body).catch(() => null);
        if (response?.status === 202) acknowledged.add(body.batch_id);
        if (acknowledged.size >= 15) await killOnce();
      }
    };
    await Promise.all([sender(), sender(), sender()]);
    const reader = await tenantUserAuthorization({ call, admin: `Bearer ${tenant.admin}`, openStorage: () => openStorage({ engine: 'sqlite' }, dataDir, Buffer.from(key, 'base64')), role: 'viewer' });
    secrets.push(reader.replace(/^Bearer /, ''));
    const summary = (await api('GET', '/v1/telemetry/summary', reader.replace(/^Bearer /, ''))).json as { tests: { test_id: string; results: number }[] };
    expect(summary.tests.find((test) => test.test_id === tenant.testId)?.results ?? 0).toBeGreaterThanOrEqual(acknowledged.size * ROWS);
    expect((await api('GET', '/v1/audit/verify', tenant.admin)).json.ok).toBe(true);
  });

  it('a silo out of disk space answers 503 storage_unavailable, never 500; its neighbours go on', { timeout: 300_000 }, async (context) => {
    const full = await siloedTenant('full-disk');
    const neighbour = await siloedTenant('roomy');
    const silo = join(dataDir, 'tenants', full.id);
    // A tiny tmpfs over the silo's directory (mounting needs root; elsewhere this part is skipped).
    await server.stop('SIGTERM');
    const aside = join(root, 'silo-aside');
    cpSync(silo, aside, { recursive: true });
    const used = Number(execFileSync('du', ['-sk', aside], { encoding: 'utf8' }).split('\t')[0]);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${used + 256}k`, 'tmpfs', silo], { stdio: 'ignore' });
    } catch {
      await serve();
      context.skip('mounting a tmpfs needs root (CI runs as root or with sudo; a developer machine may not)');
      return;
    }
    try {
      cpSync(aside, silo, { recursive: true });
      await serve();
      faultsSurvived++;
      const statuses = new Map<number, number>();
      for (let i = 0; i < 200 && (statuses.get(503) ?? 0) < 5; i++) {
        const response = await api('POST', '/agent/v1/ingest', full.agent, batch(full.testId));
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) expect(response.json, logs.split('\n').filter((line) => line.includes('unhandled error')).slice(-1)[0]).toMatchObject({ error: { code: 'storage_unavailable' } });
        // A write into the silo's control store too (a test definition).
        const defined = await api('POST', '/v1/tests', full.admin, { name: `more-${i}`, target: 'https://x.example/health', kind: 'http', interval_s: 60 });
        if (defined.status >= 500) expect(defined.json).toMatchObject({ error: { code: 'storage_unavailable' } });
      }
      console.log(`gauntlet full disk: ingest answers ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(statuses.get(503) ?? 0, 'the full silo refuses with 503').toBeGreaterThan(0);
      expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
      expect((await api('GET', '/healthz', null)).status).toBe(200);
      expect((await api('POST', '/agent/v1/ingest', neighbour.agent, batch(neighbour.testId))).status).toBe(202);
    } finally {
      await server.stop('SIGKILL');
      // What the tmpfs held goes with it: the silo as it was before is put back for the parts after.
      execFileSync('umount', ['-l', silo], { stdio: 'ignore' });
      rmSync(silo, { recursive: true, force: true });
      cpSync(aside, silo, { recursive: true });
    }
    await serve();
  });

  it('leaves no secret in the data dir or the logs', () => {
    const stored = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
    expect(logs.length).toBeGreaterThan(0);
    const found = secrets.filter((secret) => logs.includes(secret) || stored.some((contents) => contents.includes(Buffer.from(secret))));
    expect(found.map((secret) => `${secret.slice(0, 6)}…`)).toEqual([]);
  });
});
