import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import pg from 'pg';
import { Agent, request } from 'undici';
import { runCli, startServe, type ServingProcess } from './cli-process';
import { APP_ROLE, OWNER_ROLE, TEMPLATE_DB, withDatabase } from './postgres-roles';

export interface ApiResponse {
  status: number;
  json: Record<string, unknown>;
}

/** Control-plane replicas (real `serve` processes) sharing one fresh PostgreSQL database. */
export interface ReplicaDeployment {
  readonly replicas: ServingProcess[];
  readonly dataDir: string;
  readonly deploymentKey: string;
  readonly appUrl: string;
  readonly api: (replica: ServingProcess, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token: string | null, body?: unknown) => Promise<ApiResponse>;
  /** An operator session (password + TOTP) made through `replica`. */
  login(replica: ServingProcess): Promise<string>;
  addReplica(): Promise<ServingProcess>;
  close(): Promise<void>;
}

/**
 * Creates a database from the migrated template, runs `init` against it and starts `count`
 * replicas. `superuserUrl` is the test cluster's (vitest's inject('postgresUrl')).
 */
export async function startReplicaDeployment(superuserUrl: string, count: number): Promise<ReplicaDeployment> {
  const database = `bh_replicas_${randomBytes(4).toString('hex')}`;
  const deploymentKey = randomBytes(32).toString('base64');
  const password = 'replica-test-password';
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
  await admin.end();
  const appUrl = withDatabase(superuserUrl, APP_ROLE, database);
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-replicas-'));
  const dataDir = join(root, 'data');
  const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--database', appUrl, '--json'], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey, BULKHEAD_ADMIN_PASSWORD: password });
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const { secret } = JSON.parse(init.stdout) as { secret: string };
  const replicas: ServingProcess[] = [];
  let enrolled = false;
  const addReplica = async () => {
    const replica = await startServe(['--data', dataDir, '--database', appUrl], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey });
    replicas.push(replica);
    return replica;
  };
  for (let i = 0; i < count; i++) await addReplica();
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });

  const api: ReplicaDeployment['api'] = async (replica, method, path, token, body) => {
    const response = await request(`${replica.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  return {
    replicas,
    dataDir,
    deploymentKey,
    appUrl,
    api,
    async login(replica) {
      // init leaves the admin's enrollment pending: its first sign-in confirms it with a first code.
      const path = enrolled ? '/provider/v1/auth/login' : '/provider/v1/auth/enrollment/confirm';
      const response = await api(replica, 'POST', path, null, { username: 'admin', password, totp: await generate({ secret }) });
      enrolled = true;
      if (response.status !== 201) throw new Error(`login failed: ${JSON.stringify(response.json)}`);
      return String(response.json.token);
    },
    addReplica,
    async close() {
      await dispatcher.close();
      await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
      const cleanup = new pg.Client({ connectionString: superuserUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
