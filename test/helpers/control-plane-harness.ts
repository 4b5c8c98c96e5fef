import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import { generateDeploymentKey } from '../../control-plane/crypto/deployment-key';
import { initDataDir } from '../../control-plane/data-dir';
import { builtInLicenseTrust, type LicenseTrust } from '../../control-plane/licensing/license';
import { prepareServer } from '../../control-plane/server';
import { createCertificateAuthority } from '../../control-plane/tls/certificates';
import { createEngineFixture, type EngineFixture } from './test-engine';
import type { ServerTimeouts } from '../../control-plane/server-timeouts';
import { tenantUserAuthorization, type Call } from './tenant-user';

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const evaluationLicenseText = (): string => readFileSync(join(repoRoot, 'control-plane', 'licensing', 'evaluation-license.json'), 'utf8');

export interface RunningControlPlane {
  app: FastifyInstance;
  url: string;
  caPem: string;
  dataDir: string;
  deploymentKey: string;
  admin: { username: string; password: string; totpSecret: string };
  /** A TOTP code for the admin at `now` plus `offsetSteps` 30-second steps. */
  adminCode(offsetSteps?: number): Promise<string>;
  /** The engine under test, for inspection around the app. */
  engine: EngineFixture;
  close(): Promise<void>;
}

export interface HarnessOptions {
  licenseText?: string;
  /** SQLite: pooled telemetry cells (ignored on PostgreSQL). */
  telemetryCells?: number;
  licenseTrust?: LicenseTrust;
  clock?: () => Date;
  /** serve --public-url: where sign-in redirects go (inject() tests name a host of their own). */
  publicUrl?: string;
  /** serve --base-domain: tenants' hosts are <slug>.<base domain> (branding resolves by it). */
  baseDomain?: string;
  /** The built tenant portal to serve (default: out/portal when built). */
  portalDir?: string | null;
  /** startControlPlane: adds to the app before it listens (e.g. a route a test registers on purpose). */
  beforeListen?: (app: FastifyInstance) => void;
  /**
   * Leave the first admin as init makes it: its TOTP enrollment pending until a first code confirms
   * it (POST /auth/enrollment/confirm). By default the harness confirms it, as a console would have.
   */
  pendingAdmin?: boolean;
  /** serve --max-agent-connections / --max-tenant-connections. */
  ingestConnections?: { perAgent?: number; perTenant?: number };
  /** The server's connection timeouts, shortened (buildTestApp). */
  serverTimeouts?: Partial<ServerTimeouts>;
  /** serve --metrics-token-file: the scrape token /metrics accepts. */
  metricsTokenFile?: string;
  /** buildTestApp: where the app logs, at `info` (default: silent). The gauntlet reads it for secrets. */
  logStream?: NodeJS.WritableStream;
}

interface InitializedDataDir {
  root: string;
  dataDir: string;
  deploymentKey: string;
  admin: { username: string; password: string; totpSecret: string };
  trust: LicenseTrust;
  engine: EngineFixture;
  /** The `database` option for serve: the app role's URL on PostgreSQL, nothing on SQLite. */
  database: string | undefined;
}

/** A fresh, initialized data dir in a temp folder with a known admin. */
export async function initializedDataDir(options: HarnessOptions = {}): Promise<InitializedDataDir> {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-cp-'));
  const dataDir = join(root, 'data');
  const deploymentKey = generateDeploymentKey();
  const admin = { username: 'admin', password: 'a-long-test-password' };
  const trust = options.licenseTrust ?? builtInLicenseTrust;
  const engine = await createEngineFixture(dataDir);
  const init = await initDataDir({
    engine: engine.config,
    dataDir,
    deploymentKey: Buffer.from(deploymentKey, 'base64'),
    admin,
    subjectAltNames: [],
    licenseText: options.licenseText ?? evaluationLicenseText(),
    licenseTrust: trust,
    now: options.clock?.() ?? new Date(),
  });
  if (options.pendingAdmin !== true) {
    await confirmAdmin(engine, deploymentKey, init.adminId, options.clock?.() ?? new Date());
  }
  return { root, dataDir, deploymentKey, admin: { ...admin, totpSecret: init.totpSecret }, trust, engine, database: engine.config.engine === 'postgres' ? engine.config.url : undefined };
}

/**
 * Marks the first admin's enrollment confirmed in storage, without using up a TOTP step, so tests
 * sign in with the current code at once. (Enrollment itself is tested through its routes.)
 */
async function confirmAdmin(engine: EngineFixture, deploymentKey: string, adminId: string, at: Date): Promise<void> {
  const storage = await engine.openStorage(Buffer.from(deploymentKey, 'base64'));
  try {
    await storage.transaction(async (tx) => {
      if (!(await tx.confirmTotp(adminId, at.toISOString()))) throw new Error('the first admin was not pending');
    });
  } finally {
    await storage.close();
  }
}

export function totpCode(secret: string, at: Date, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) + offsetSteps * 30 });
}

export interface TestApp {
  app: FastifyInstance;
  /** The engine under test, for inspection around the app. */
  engine: EngineFixture;
  deploymentKey: string;
  admin: { username: string; password: string; totpSecret: string };
  dataDir: string;
  clock: TestClock;
  adminCode(offsetSteps?: number): Promise<string>;
  /** Signs the admin in (once per test app) and returns its Authorization header. */
  adminHeaders(): Promise<{ authorization: string }>;
  /** Signs the admin in again (after the clock moved past the first session's lifetime). */
  freshAdminHeaders(): Promise<{ authorization: string }>;
  /** Creates an operator with `roles` and signs it in; returns its Authorization header. */
  operatorHeaders(username: string, roles: string[]): Promise<{ authorization: string }>;
  /**
   * Creates a tenant (as the admin operator) and returns the onboarding token's Authorization header:
   * a tenant-admin token the provider minted, before handover.
   */
  tenantAdminHeaders(slug: string, isolationModel: string, quotas?: Record<string, number>): Promise<{ authorization: string }>;
  /**
   * Creates a tenant the customer owns: onboarding token, handover, and IdP settings set in the tenant
   * plane. Returns the tenant-owned admin token's Authorization header (its sessions read telemetry).
   */
  ownedTenantHeaders(slug: string, isolationModel: string, quotas?: Record<string, number>): Promise<{ authorization: string }>;
  /** A signed-in tenant user with `role` (see tenant-user.ts): who reads telemetry, once the tenant owns its identity. */
  tenantUserHeaders(admin: { authorization: string }, role?: 'admin' | 'operator' | 'viewer'): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** A clock tests move by hand. */
export class TestClock {
  constructor(private current = new Date('2026-11-22T10:00:05Z')) {}
  now = (): Date => new Date(this.current);
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** The app over a real SQLite data dir, without a port: for inject() tests, on a hand-moved clock. */
export async function buildTestApp(options: Omit<HarnessOptions, 'clock'> = {}): Promise<TestApp> {
  const clock = new TestClock();
  const dir = await initializedDataDir({ ...options, clock: clock.now });
  const app = await prepareServer({
    dataDir: dir.dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    env: { BULKHEAD_DEPLOYMENT_KEY: dir.deploymentKey },
    logLevel: options.logStream === undefined ? 'silent' : 'info',
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
    clock: clock.now,
    licenseTrust: dir.trust,
    database: dir.database,
    telemetryCells: options.telemetryCells,
    ingestConnections: options.ingestConnections,
    publicUrl: options.publicUrl,
    metricsTokenFile: options.metricsTokenFile,
    serverTimeouts: options.serverTimeouts,
    baseDomain: options.baseDomain,
    portalDir: options.portalDir,
  });
  let adminSession: Promise<{ authorization: string }> | undefined;
  const adminHeaders = () => {
    adminSession ??= signIn(app, dir.admin.username, dir.admin.password, dir.admin.totpSecret, clock);
    return adminSession;
  };
  const tenantAdminHeaders = async (slug: string, isolationModel: string, quotas?: Record<string, number>) => {
    const operator = await adminHeaders();
    const created = await app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: operator, payload: { slug, name: slug, isolation_model: isolationModel, ...(quotas ? { quotas } : {}) } });
    if (created.statusCode !== 201) {
      throw new Error(`creating tenant ${slug}: ${created.statusCode} ${created.body}`);
    }
    const token = await app.inject({ method: 'POST', url: `/provider/v1/tenants/${slug}/admin-tokens`, headers: operator, payload: { expires_in_seconds: 86_400 } });
    return { authorization: `Bearer ${token.json<{ token: string }>().token}` };
  };
  return {
    app,
    engine: dir.engine,
    deploymentKey: dir.deploymentKey,
    admin: dir.admin,
    dataDir: dir.dataDir,
    clock,
    adminCode: (offsetSteps = 0) => totpCode(dir.admin.totpSecret, clock.now(), offsetSteps),
    adminHeaders,
    freshAdminHeaders: () => signIn(app, dir.admin.username, dir.admin.password, dir.admin.totpSecret, clock),
    async operatorHeaders(username, roles) {
      const admin = await adminHeaders();
      const password = `${username}-long-password`;
      const created = await app.inject({ method: 'POST', url: '/provider/v1/operators', headers: admin, payload: { username, roles, password } });
      if (created.statusCode !== 201) {
        throw new Error(`creating operator ${username}: ${created.statusCode} ${created.body}`);
      }
      return enrollOperator(app, username, password, clock);
    },
    tenantAdminHeaders,
    async ownedTenantHeaders(slug, isolationModel, quotas) {
      return handOver(injectCall(app), (await tenantAdminHeaders(slug, isolationModel, quotas)).authorization, slug);
    },
    async tenantUserHeaders(admin, role = 'viewer') {
      const authorization = await tenantUserAuthorization({
        call: injectCall(app),
        admin: admin.authorization,
        openStorage: () => dir.engine.openStorage(Buffer.from(dir.deploymentKey, 'base64')),
        role,
      });
      return { authorization };
    },
    async close() {
      await app.close();
      await dir.engine.drop();
      rmSync(dir.root, { recursive: true, force: true });
    },
  };
}

/**
 * The customer's side of onboarding: hands the tenant over with its onboarding token and sets IdP
 * settings in the tenant plane (the tenant's own, so its people's sessions are tenant-owned). The
 * issuer is never contacted by tests that issue sessions directly (tenant-user.ts).
 */
export async function handOver(call: Call, onboarding: string, slug: string): Promise<{ authorization: string }> {
  const handover = await call('POST', '/v1/handover', onboarding, {});
  if (handover.status !== 201) throw new Error(`handover of ${slug}: ${handover.status} ${JSON.stringify(handover.json)}`);
  const authorization = `Bearer ${String(handover.json.token)}`;
  const identity = await call('PUT', '/v1/identity/oidc', authorization, { issuer: `https://idp.${slug}.example.test`, client_id: 'bulkhead', client_secret: 'fixture-client-secret', claim: null });
  if (identity.status !== 200) throw new Error(`tenant identity of ${slug}: ${identity.status} ${JSON.stringify(identity.json)}`);
  return { authorization };
}

/** Defines `count` probe tests for a tenant and answers their ids (ingest accepts results only for a tenant's own tests). */
export async function definedTests(app: FastifyInstance, tenantHeaders: { authorization: string }, count = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await app.inject({ method: 'POST', url: '/v1/tests', headers: tenantHeaders, payload: { name: `test-${i}`, target: `https://service-${i}.example.test/health`, kind: 'http', interval_s: 60 } });
    if (created.statusCode !== 201) throw new Error(`defining a test: ${created.statusCode} ${created.body}`);
    ids.push(created.json<{ id: string }>().id);
  }
  return ids;
}

/** inject() as a Call. */
export function injectCall(app: FastifyInstance): Call {
  return async (method, url, authorization, payload) => {
    const response = await app.inject({ method, url, headers: authorization === null ? {} : { authorization }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    return { status: response.statusCode, json: response.body ? response.json<Record<string, unknown>>() : {} };
  };
}

/** A new operator's first sign-in: its pending enrollment, then a first code; answers its session's header. */
export async function enrollOperator(app: FastifyInstance, username: string, password: string, clock: TestClock): Promise<{ authorization: string }> {
  const enrollment = await app.inject({ method: 'POST', url: '/provider/v1/auth/enrollment', payload: { username, password } });
  if (enrollment.statusCode !== 200) {
    throw new Error(`enrollment of ${username}: ${enrollment.statusCode} ${enrollment.body}`);
  }
  const totp = await totpCode(enrollment.json<{ secret: string }>().secret, clock.now());
  const confirmed = await app.inject({ method: 'POST', url: '/provider/v1/auth/enrollment/confirm', payload: { username, password, totp } });
  if (confirmed.statusCode !== 201) {
    throw new Error(`confirming the enrollment of ${username}: ${confirmed.statusCode} ${confirmed.body}`);
  }
  return { authorization: `Bearer ${confirmed.json<{ token: string }>().token}` };
}

async function signIn(app: FastifyInstance, username: string, password: string, secret: string, clock: TestClock): Promise<{ authorization: string }> {
  const response = await app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username, password, totp: await totpCode(secret, clock.now()) } });
  if (response.statusCode !== 201) {
    throw new Error(`sign-in of ${username}: ${response.statusCode} ${response.body}`);
  }
  return { authorization: `Bearer ${response.json<{ token: string }>().token}` };
}

/** A real control plane for tests: a fresh data dir (init), real SQLite, real HTTPS on a free loopback port. */
export async function startControlPlane(options: HarnessOptions = {}): Promise<RunningControlPlane> {
  const { root, dataDir, deploymentKey, admin, trust, engine, database } = await initializedDataDir(options);
  const app = await prepareServer({
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    env: { BULKHEAD_DEPLOYMENT_KEY: deploymentKey },
    logLevel: 'silent',
    licenseTrust: trust,
    database,
    telemetryCells: options.telemetryCells,
    metricsTokenFile: options.metricsTokenFile,
    baseDomain: options.baseDomain,
    portalDir: options.portalDir,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  options.beforeListen?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const clock = options.clock ?? (() => new Date());
  return {
    app,
    url: `https://127.0.0.1:${port}`,
    caPem: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8'),
    dataDir,
    deploymentKey,
    admin,
    engine,
    adminCode: (offsetSteps = 0) => totpCode(admin.totpSecret, clock(), offsetSteps),
    async close() {
      await app.close();
      await engine.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Starts a test app's real HTTPS server on a loopback port: its port, and the CA that signed it. */
export async function listenOnLoopback(t: TestApp): Promise<{ port: number; ca: string }> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, ca: readFileSync(join(t.dataDir, 'tls', 'ca.crt'), 'utf8') };
}

/**
 * A handshake its client gives up: the start of a TLS record on `port` (a handshake, TLS 1.0
 * framing, 512 bytes to come), then a reset, as when a client's connect timeout runs out.
 * Resolves once the connection has closed.
 */
export async function abandonHandshake(port: number): Promise<void> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.resetAndDestroy();
  await closed;
}

/** The CA certificate of some other deployment: trusting it must not reach ours. */
export async function foreignCaPem(): Promise<string> {
  return (await createCertificateAuthority('another deployment')).certPem;
}

/** Enrolls one agent for a tenant (pool, bootstrap token, enroll) and answers its bha_ headers. */
export async function enrolledAgentHeaders(app: FastifyInstance, tenantHeaders: { authorization: string }, name = 'probe-1'): Promise<{ authorization: string; agentId: string }> {
  const pool = await app.inject({ method: 'POST', url: '/v1/agent-pools', headers: tenantHeaders, payload: { name: 'agents', ttl_seconds: 3600 } });
  if (pool.statusCode !== 201) throw new Error(`creating a pool: ${pool.statusCode} ${pool.body}`);
  const minted = await app.inject({ method: 'POST', url: `/v1/agent-pools/${pool.json<{ id: string }>().id}/tokens`, headers: tenantHeaders });
  const enrolled = await app.inject({ method: 'POST', url: '/agent/v1/enroll', payload: { bootstrap_token: minted.json<{ token: string }>().token, name } });
  if (enrolled.statusCode !== 201) throw new Error(`enrolling: ${enrolled.statusCode} ${enrolled.body}`);
  const agent = enrolled.json<{ agent_id: string; agent_token: string }>();
  return { authorization: `Bearer ${agent.agent_token}`, agentId: agent.agent_id };
}
