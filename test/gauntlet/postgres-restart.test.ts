import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDeploymentKey } from '../../control-plane/crypto/deployment-key';
import { initDataDir } from '../../control-plane/data-dir';
import { builtInLicenseTrust } from '../../control-plane/licensing/license';
import { prepareServer } from '../../control-plane/server';
import { openStorage } from '../../control-plane/storage/open-storage';
import { enrollOperator, evaluationLicenseText, handOver, injectCall, TestClock } from '../helpers/control-plane-harness';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster';
import { APP_ROLE, OWNER_ROLE, prepareTemplate, TEMPLATE_DB, withDatabase } from '../helpers/postgres-roles';
import { tenantUserAuthorization } from '../helpers/tenant-user';
import { engineName, gauntletSize, recordFigures } from './gauntlet-size';

const RESTARTS = gauntletSize === 'large' ? 5 : 2;
const ROWS = 5;

interface Outcome {
  status: number;
  code: string | null;
  ms: number;
}

/**
 * PostgreSQL restarted under load, on a cluster of the test's own: ingest, tenant creation (siloed:
 * a schema each) and reads keep coming while the server goes down hard and comes back. Meanwhile
 * every answer is below 500 or `503 storage_unavailable`, fast; afterwards the same process serves
 * again by itself; every acknowledged batch and tenant is there, no schema lacks its tenant once
 * the server restarts, and the ledgers verify.
 */
// PostgreSQL only: the SQLite engine has no server to lose (its faults are in faults.test.ts).
describe.skipIf(engineName !== 'postgres')('gauntlet: PostgreSQL restarted under load', () => {
  let cluster: PostgresCluster;
  let root: string;
  let dataDir: string;
  let url: string;
  let key: string;
  const clock = new TestClock(new Date());
  let app: FastifyInstance;

  const start = () =>
    prepareServer({ dataDir, listen: { host: '127.0.0.1', port: 0 }, env: { BULKHEAD_DEPLOYMENT_KEY: key }, logLevel: 'silent', clock: clock.now, licenseTrust: builtInLicenseTrust, database: url });

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    await prepareTemplate(cluster.superuserUrl);
    const admin = new pg.Client({ connectionString: cluster.superuserUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE gauntlet TEMPLATE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
    await admin.end();
    url = withDatabase(cluster.superuserUrl, APP_ROLE, 'gauntlet');
    root = mkdtempSync(join(tmpdir(), 'bulkhead-gauntlet-pg-'));
    dataDir = join(root, 'data');
    key = generateDeploymentKey();
    await initDataDir({
      engine: { engine: 'postgres', url },
      dataDir,
      deploymentKey: Buffer.from(key, 'base64'),
      admin: { username: 'admin', password: 'a-long-test-password' },
      subjectAltNames: [],
      licenseText: evaluationLicenseText(),
      licenseTrust: builtInLicenseTrust,
      now: clock.now(),
    });
    app = await start();
  }, 180_000);

  afterAll(async () => {
    await app.close().catch(() => undefined);
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 storage_unavailable fast while it is down, recovers by itself, and loses nothing acknowledged', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const operator = await enrollOperator(app, 'admin', 'a-long-test-password', clock);
    const inject = (method: 'GET' | 'POST', path: string, headers: Record<string, string>, payload?: unknown) =>
      app.inject({ method, url: path, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    const created = await inject('POST', '/provider/v1/tenants', operator, { slug: 'steady', name: 'steady', isolation_model: 'siloed' });
    expect(created.statusCode, created.body).toBe(201);
    const onboarding = (await inject('POST', '/provider/v1/tenants/steady/admin-tokens', operator, { expires_in_seconds: 86_400 })).json<{ token: string }>().token;
    const admin = await handOver(injectCall(app), `Bearer ${onboarding}`, 'steady');
    const testId = (await inject('POST', '/v1/tests', admin, { name: 'probe', target: 'https://steady.example/health', kind: 'http', interval_s: 60 })).json<{ id: string }>().id;
    const pool = (await inject('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json<{ id: string }>().id;
    const bootstrap = (await inject('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json<{ token: string }>().token;
    const agent = { authorization: `Bearer ${(await inject('POST', '/agent/v1/enroll', {}, { bootstrap_token: bootstrap, name: 'probe' })).json<{ agent_token: string }>().agent_token}` };

    const outcomes: Outcome[] = [];
    const ackedBatches = new Set<string>();
    const ackedTenants: string[] = [];
    let stop = false;
    let sequence = 0;
    const record = async (work: () => Promise<{ statusCode: number; body: string }>): Promise<number> => {
      const at = Date.now();
      const response = await work();
      let code: string | null = null;
      try {
        code = (JSON.parse(response.body) as { error?: { code?: string } }).error?.code ?? null;
      } catch {
        code = null;
      }
      outcomes.push({ status: response.statusCode, code, ms: Date.now() - at });
      return response.statusCode;
    };
    const loop = async (step: () => Promise<void>) => {
      while (!stop) {
        await step();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const load = Promise.all([
      loop(async () => {
        const batch = `batch-${sequence++}`;
        const ts = clock.now().getTime();
        const results = Array.from({ length: ROWS }, (_, i) => ({ test_id: testId, ts: new Date(ts - i * 1000).toISOString(), latency_ms: i, ok: true }));
        if ((await record(() => inject('POST', '/agent/v1/ingest', agent, { batch_id: batch, results, flow_events: [] }))) === 202) ackedBatches.add(batch);
      }),
      loop(async () => {
        const slug = `load-${sequence++}`;
        if ((await record(() => inject('POST', '/provider/v1/tenants', operator, { slug, name: slug, isolation_model: 'siloed' }))) === 201) ackedTenants.push(slug);
      }),
      loop(async () => {
        await record(() => inject('GET', '/v1/tests', admin));
        await record(() => inject('GET', '/provider/v1/tenants?limit=5', operator));
      }),
    ]);

    let restarts = 0;
    for (let i = 0; i < RESTARTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await cluster.restart(2000);
      restarts++;
      // Recovers by itself: the same process answers again within a minute.
      const deadline = Date.now() + 60_000;
      while ((await inject('GET', '/v1/tests', admin)).statusCode !== 200) {
        expect(Date.now(), 'recovered within a minute').toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await load;

    const serverErrors = outcomes.filter((outcome) => outcome.status >= 500 && !(outcome.status === 503 && outcome.code === 'storage_unavailable'));
    const unavailable = outcomes.filter((outcome) => outcome.code === 'storage_unavailable');
    recordFigures({ part: 'postgres-restart', engine: engineName, requests: outcomes.length, leaks: 0, serverErrors: serverErrors.length, faultsSurvived: restarts, durationMs: Date.now() - started });
    console.log(`gauntlet postgres restart: ${outcomes.length} requests, ${unavailable.length} answered 503 storage_unavailable (slowest ${Math.max(0, ...unavailable.map((outcome) => outcome.ms))} ms), ${ackedBatches.size} batches and ${ackedTenants.length} tenants acknowledged`);
    expect(serverErrors.slice(0, 10)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status < 400).length).toBeGreaterThan(0);
    // Fail fast: nobody waits out a connection timeout per request.
    expect(Math.max(0, ...unavailable.map((outcome) => outcome.ms))).toBeLessThan(15_000);

    // Nothing acknowledged lost, no half tenant (after a restart of the app, which sweeps), ledgers verify.
    await app.close();
    app = await start();
    const reader = await tenantUserAuthorization({ call: injectCall(app), admin: admin.authorization, openStorage: () => openStorage({ engine: 'postgres', url }, dataDir, Buffer.from(key, 'base64')), role: 'operator' });
    const summary = (await inject('GET', '/v1/telemetry/summary', { authorization: reader })).json<{ tests: { test_id: string; results: number }[] }>();
    expect(summary.tests.find((test) => test.test_id === testId)?.results ?? 0).toBeGreaterThanOrEqual(ackedBatches.size * ROWS);
    // Sessions are stored: the operator's still holds on the restarted app.
    const fresh = operator;
    for (const slug of ackedTenants) {
      const tenant = await inject('GET', `/provider/v1/tenants/${slug}`, fresh);
      expect(tenant.statusCode, `${slug}: ${tenant.body}`).toBe(200);
    }
    const superuser = new pg.Client({ connectionString: withDatabase(cluster.superuserUrl, 'postgres', 'gauntlet') });
    await superuser.connect();
    try {
      const schemas = (await superuser.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bh\\_t\\_%'")).rows.map((row) => row.nspname);
      const tenants = (await superuser.query<{ id: string }>("SELECT id::text AS id FROM bh.tenants WHERE isolation_model = 'siloed'")).rows.map((row) => `bh_t_${row.id.replace(/-/g, '')}`);
      expect(schemas.filter((schema) => !tenants.includes(schema))).toEqual([]);
    } finally {
      await superuser.end();
    }
    expect((await inject('GET', '/provider/v1/audit/verify', fresh)).json<{ ok: boolean }>().ok).toBe(true);
    expect((await inject('GET', '/v1/audit/verify', admin)).json<{ ok: boolean }>().ok).toBe(true);
  });
});
