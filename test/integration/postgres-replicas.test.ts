import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runCli, startServe, type ServingProcess } from '../helpers/cli-process';
import { APP_ROLE, OWNER_ROLE, TEMPLATE_DB, withDatabase } from '../helpers/postgres-roles';

/**
 * Two control-plane replicas (real `serve` processes) on one PostgreSQL database: they behave as
 * one control plane, and killing one mid-traffic loses no acknowledged write; the ledger verifies.
 */
describe('replicas on PostgreSQL (real processes)', () => {
  const database = `bh_replicas_${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32).toString('base64');
  const password = 'replica-test-password';
  let root: string;
  let dataDir: string;
  let appUrl: string;
  let secret = '';
  const replicas: ServingProcess[] = [];
  let agent: Agent;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
    await admin.end();
    appUrl = withDatabase(inject('postgresUrl'), APP_ROLE, database);
    root = mkdtempSync(join(tmpdir(), 'bulkhead-replicas-'));
    dataDir = join(root, 'data');
    const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--database', appUrl, '--json'], { BULKHEAD_DEPLOYMENT_KEY: key, BULKHEAD_ADMIN_PASSWORD: password });
    expect(init.code, init.stderr).toBe(0);
    secret = (JSON.parse(init.stdout) as { secret: string }).secret;
    for (let i = 0; i < 2; i++) {
      replicas.push(await startServe(['--data', dataDir, '--database', appUrl], { BULKHEAD_DEPLOYMENT_KEY: key }));
    }
    agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
  }, 90_000);

  afterAll(async () => {
    await agent.close();
    await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(root, { recursive: true, force: true });
  });

  async function api(replica: ServingProcess, method: string, path: string, token: string | null, body?: unknown) {
    const response = await request(`${replica.url}${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  it('refuses a replica with another deployment key', async () => {
    const outcome = await runCli(['serve', '--data', dataDir, '--database', appUrl, '--listen', '127.0.0.1:0'], { BULKHEAD_DEPLOYMENT_KEY: randomBytes(32).toString('base64') });
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('another deployment key');
  });

  it('serves one control plane from both replicas, and a replica killed mid-traffic loses no acknowledged write', async () => {
    const [first, second] = replicas;
    if (first === undefined || second === undefined) throw new Error('replicas missing');
    const login = await api(first, 'POST', '/provider/v1/auth/login', null, { username: 'admin', password, totp: await generate({ secret }) });
    expect(login.status).toBe(201);
    const token = String(login.json.token);
    // A session made on one replica works on the other.
    expect((await api(second, 'GET', '/provider/v1/auth/session', token)).status).toBe(200);
    // Each replica registered itself and heartbeats: both see two live replicas.
    for (const replica of [first, second]) {
      const live = await api(replica, 'GET', '/provider/v1/replicas', token);
      expect(live.json).toMatchObject({ live_count: 2 });
      expect((live.json.items as { self: boolean }[]).filter((item) => item.self)).toHaveLength(1);
    }

    // Traffic through both at once; the second replica is killed (SIGKILL) part-way.
    const acknowledged: string[] = [];
    const attempts = Array.from({ length: 20 }, (_, i) => `replica-t-${i}`);
    let killed = false;
    await Promise.all(
      attempts.map(async (slug, i) => {
        const target = i % 2 === 0 ? first : second;
        if (i === 9 && !killed) {
          killed = true;
          second.child.kill('SIGKILL');
        }
        try {
          const created = await api(target, 'POST', '/provider/v1/tenants', token, { slug, name: slug, isolation_model: i % 3 === 0 ? 'siloed' : 'pooled' });
          if (created.status === 201) acknowledged.push(slug);
        } catch {
          // A request to the killed replica fails: not acknowledged, the client would retry.
        }
      }),
    );
    expect(acknowledged.length).toBeGreaterThan(5);
    // Every acknowledged tenant is there (read through the surviving replica).
    const list = await api(first, 'GET', '/provider/v1/tenants?limit=1000', token);
    const slugs = (list.json.items as { slug: string }[]).map((tenant) => tenant.slug);
    for (const slug of acknowledged) {
      expect(slugs).toContain(slug);
    }
    // The ledger has no gap and no fork: it verifies, one TENANT_CREATED per tenant that exists.
    const verify = await api(first, 'GET', '/provider/v1/audit/verify', token);
    expect(verify.json).toMatchObject({ ok: true });
    const created = await api(first, 'GET', '/provider/v1/audit?event_type=TENANT_CREATED&limit=1000', token);
    expect((created.json.items as unknown[]).length).toBe(slugs.length);

    // A replacement replica joins and sees the same state.
    const third = await startServe(['--data', dataDir, '--database', appUrl], { BULKHEAD_DEPLOYMENT_KEY: key });
    replicas.push(third);
    const fromThird = await api(third, 'GET', '/provider/v1/tenants?limit=1000', token);
    expect((fromThird.json.items as unknown[]).length).toBe(slugs.length);
  }, 90_000);
});
