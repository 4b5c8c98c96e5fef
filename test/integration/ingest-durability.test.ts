import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../control-plane/storage/open-storage';
import { runCli, startServe, type ServingProcess } from '../helpers/cli-process';
import { handOver } from '../helpers/control-plane-harness';
import { tenantUserAuthorization, type Call } from '../helpers/tenant-user';

/** Large enough that the writer pauses part-way through a batch for the neighbour's small ones. */
const BATCH = 300;
const SENDERS = 4;
/** Acknowledged batches before the kill: enough that writes are in flight when it lands. */
const ACKS_BEFORE_KILL = 40;

/**
 * Acknowledged means durable: a real `serve` process is killed with SIGKILL during sustained
 * ingest from several agents, then restarted on the same data dir. Every batch that got a 202 is
 * present exactly once, and once the agents retry what was never acknowledged, nothing is missing.
 * A pooled neighbour sends small batches meanwhile, so the writer pauses the large ones part-way
 * (a batch left pending by the kill must read as not stored).
 */
describe('ingest survives kill -9 (real process, SQLite)', () => {
  const key = randomBytes(32).toString('base64');
  const password = 'durability-test-password';
  let root: string;
  let dataDir: string;
  let secret = '';
  let server: ServingProcess;
  let dispatcher: Agent;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bulkhead-durability-'));
    dataDir = join(root, 'data');
    const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--json'], { BULKHEAD_DEPLOYMENT_KEY: key, BULKHEAD_ADMIN_PASSWORD: password });
    expect(init.code, init.stderr).toBe(0);
    secret = (JSON.parse(init.stdout) as { secret: string }).secret;
    server = await startServe(['--data', dataDir], { BULKHEAD_DEPLOYMENT_KEY: key });
    dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
  }, 90_000);

  afterAll(async () => {
    await dispatcher.close();
    await server.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function api(method: 'GET' | 'POST' | 'PUT', path: string, token: string | null, body?: unknown) {
    const response = await request(`${server.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Each tenant's own test (ingest takes results for a tenant's own tests only). */
  const tests = { durable: '', neighbour: '' };
  const batchOf = (batchId: string, testId = tests.durable) => ({
    batch_id: batchId,
    results: Array.from({ length: BATCH }, (_, i) => ({ test_id: testId, ts: new Date(Date.now() - 1000 + i).toISOString(), latency_ms: i, ok: true })),
  });

  it('keeps every acknowledged batch exactly once across a SIGKILL, and loses nothing once agents retry', async () => {
    // init leaves the admin pending: its first code confirms the enrollment and signs it in.
    const operator = String((await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'admin', password, totp: await generate({ secret }) })).json.token);
    expect((await api('POST', '/provider/v1/tenants', operator, { slug: 'durable', name: 'Durable' })).status).toBe(201);
    expect((await api('PUT', '/provider/v1/tenants/durable/fairness', operator, { ingest_rate_per_sec: 1_000_000, query_budget: 1000 })).status).toBe(200);
    const onboarding = String((await api('POST', '/provider/v1/tenants/durable/admin-tokens', operator, { expires_in_seconds: 3600 })).json.token);
    // Telemetry is read by a tenant user (viewer) once the customer owns the tenant, not by an admin token.
    const call: Call = (method, path, authorization, body) => api(method, path, authorization?.replace(/^Bearer /, '') ?? null, body);
    const admin = (await handOver(call, `Bearer ${onboarding}`, 'durable')).authorization.replace(/^Bearer /, '');
    tests.durable = String((await api('POST', '/v1/tests', admin, { name: 'probe', target: 'https://durable.example/health', kind: 'http', interval_s: 60 })).json.id);
    const pool = String((await api('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id);
    const bootstrap = String((await api('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token);
    const agent = String((await api('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'probe' })).json.agent_token);
    expect((await api('POST', '/provider/v1/tenants', operator, { slug: 'neighbour', name: 'Neighbour' })).status).toBe(201);
    const neighbourAdmin = String((await api('POST', '/provider/v1/tenants/neighbour/admin-tokens', operator, { expires_in_seconds: 3600 })).json.token);
    const neighbourPool = String((await api('POST', '/v1/agent-pools', neighbourAdmin, { name: 'edge', ttl_seconds: 600 })).json.id);
    const neighbourBootstrap = String((await api('POST', `/v1/agent-pools/${neighbourPool}/tokens`, neighbourAdmin)).json.token);
    const neighbour = String((await api('POST', '/agent/v1/enroll', null, { bootstrap_token: neighbourBootstrap, name: 'probe' })).json.agent_token);
    tests.neighbour = String((await api('POST', '/v1/tests', neighbourAdmin, { name: 'probe', target: 'https://neighbour.example/health', kind: 'http', interval_s: 60 })).json.id);
    const openSecond = () => openStorage({ engine: 'sqlite' }, dataDir, Buffer.from(key, 'base64'));
    const reader = (await tenantUserAuthorization({ call, admin: `Bearer ${admin}`, openStorage: openSecond, role: 'viewer' })).replace(/^Bearer /, '');

    const acknowledged = new Set<string>();
    const attempted: string[] = [];
    // An object, not a let: other senders flip it while this one awaits.
    const run = { killed: false };
    const killOnce = () => {
      if (run.killed) return;
      run.killed = true;
      server.child.kill('SIGKILL');
    };
    const sender = async () => {
      while (!run.killed) {
        const batchId = randomUUID();
        attempted.push(batchId);
        let response: Awaited<ReturnType<typeof api>> | null = null;
        try {
          response = await api('POST', '/agent/v1/ingest', agent, batchOf(batchId));
        } catch {
          // The connection died with the server: not acknowledged; the agent retries below.
        }
        if (response?.status === 202) acknowledged.add(batchId);
        // A refusal that no retry can fix would spin this loop until the test times out: stop at once.
        else if (response !== null && response.status < 500 && response.status !== 429) throw new Error(`ingest refused: ${response.status} ${JSON.stringify(response.json)}`);
        if (acknowledged.size >= ACKS_BEFORE_KILL) killOnce();
      }
    };
    const neighbourSender = async () => {
      while (!run.killed) {
        const small = { batch_id: randomUUID(), results: batchOf('', tests.neighbour).results.slice(0, 2) };
        await api('POST', '/agent/v1/ingest', neighbour, small).catch(() => undefined);
      }
    };
    await Promise.all([...Array.from({ length: SENDERS }, sender), neighbourSender()]);
    await server.exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

    server = await startServe(['--data', dataDir], { BULKHEAD_DEPLOYMENT_KEY: key });
    const perBatch = async () => {
      const counts = new Map<string, number>();
      let cursor: string | null = null;
      do {
        const page = await api('GET', `/v1/telemetry/results?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`, reader);
        expect(page.status).toBe(200);
        for (const item of page.json.items as { batch_id: string }[]) counts.set(item.batch_id, (counts.get(item.batch_id) ?? 0) + 1);
        cursor = page.json.next_cursor as string | null;
      } while (cursor !== null);
      return counts;
    };
    const afterKill = await perBatch();
    for (const batchId of acknowledged) {
      expect(afterKill.get(batchId), `acknowledged batch ${batchId}`).toBe(BATCH);
    }
    // Batches stored but not acknowledged are whole too: a transaction commits all of a batch or none.
    for (const count of afterKill.values()) expect(count).toBe(BATCH);

    // The agents retry everything they never saw acknowledged: each is stored once (or was already).
    for (const batchId of attempted.filter((id) => !acknowledged.has(id))) {
      const retry = await api('POST', '/agent/v1/ingest', agent, batchOf(batchId));
      expect(retry.status).toBe(202);
      expect(retry.json.duplicate).toBe(afterKill.has(batchId));
    }
    const final = await perBatch();
    expect(final.size).toBe(attempted.length);
    for (const count of final.values()) expect(count).toBe(BATCH);
  });
});
