import { PassThrough } from 'node:stream';
import { buildTestApp, enrollOperator, type TestApp } from '../helpers/control-plane-harness';
import { GROUP_SCHEMA, scimCall, USER_SCHEMA } from '../helpers/scim-fixtures';

export const MODELS = ['pooled', 'siloed', 'hybrid'] as const;

/** Whose a credential is: a tenant's slug, the provider's operators, or nobody (expired, revoked, malformed, none). */
export type Owner = { kind: 'tenant'; slug: string } | { kind: 'operator' } | { kind: 'nobody' };

export interface Credential {
  /** e.g. `pooled-a/admin`, `operator/billing_viewer`, `expired/scim`. */
  label: string;
  owner: Owner;
  headers: Record<string, string>;
}

export interface WorldTenant {
  slug: string;
  id: string;
  testId: string;
  poolId: string;
  agentId: string;
  scimUserId: string;
  scimGroupId: string;
  scimTokenId: string;
  /** Strings that belong to this tenant alone: ids, its probe target, its people. */
  markers: string[];
  /** Of those, what is telemetry or personal data: what no operator may ever read. */
  telemetryMarkers: string[];
}

/**
 * The gauntlet's deployment: two tenants per isolation model (six), each handed over to its customer
 * with an admin, a tenant user, an enrolled agent that has sent results, a SCIM token with a user and
 * a group; a break-glass grant for pooled-a; operators of each provider role; expired, revoked and
 * malformed tokens. Every plaintext secret it hands out is remembered for the secrets sweep.
 */
export interface World {
  t: TestApp;
  tenants: WorldTenant[];
  credentials: Credential[];
  /** Every token plaintext, client secret, TOTP secret and the deployment key. */
  secrets: string[];
  /** What the app logged (at info), line by line. */
  logs: string[];
  breakGlassId: string;
}

const bearer = (headers: { authorization: string }): string => headers.authorization.replace(/^Bearer /, '');

export async function buildWorld(): Promise<World> {
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const t = await buildTestApp({ logStream });
  const secrets: string[] = [t.deploymentKey, t.admin.password, t.admin.totpSecret, 'fixture-client-secret'];
  const credentials: Credential[] = [];
  const tenants: WorldTenant[] = [];
  const expect2xx = (what: string, response: { statusCode: number; body: string }) => {
    if (response.statusCode >= 300) throw new Error(`${what}: ${response.statusCode} ${response.body}`);
    return JSON.parse(response.body || '{}') as Record<string, unknown>;
  };

  for (const model of MODELS) {
    for (const side of ['a', 'b']) {
      const slug = `${model}-${side}`;
      const admin = await t.ownedTenantHeaders(slug, model);
      const tenant = expect2xx('tenant', await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: admin }));
      const target = `https://target-${slug}.gauntlet.example/health`;
      const test = expect2xx('test', await t.app.inject({ method: 'POST', url: '/v1/tests', headers: admin, payload: { name: `probe-${slug}`, target, kind: 'http', interval_s: 60 } }));
      const pool = expect2xx('pool', await t.app.inject({ method: 'POST', url: '/v1/agent-pools', headers: admin, payload: { name: `edge-${slug}`, ttl_seconds: 600 } }));
      const bootstrap = expect2xx('bootstrap', await t.app.inject({ method: 'POST', url: `/v1/agent-pools/${String(pool.id)}/tokens`, headers: admin }));
      const enrolled = expect2xx('enroll', await t.app.inject({ method: 'POST', url: '/agent/v1/enroll', payload: { bootstrap_token: bootstrap.token, name: `agent-${slug}` } }));
      const agent = { authorization: `Bearer ${String(enrolled.agent_token)}` };
      // On the app's clock: telemetry reads look back from its now.
      const now = t.clock.now().getTime();
      const results = Array.from({ length: 5 }, (_, i) => ({ test_id: test.id, ts: new Date(now - (5 - i) * 60_000).toISOString(), latency_ms: 10 + i, ok: true, target }));
      expect2xx('ingest', await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload: { batch_id: `seed-${slug}`, results, flow_events: [{ ts: new Date(now).toISOString(), src: `flow-${slug}`, dst: '192.0.2.1', protocol: 'tcp', bytes: 10, packets: 1 }] } }));
      const user = await t.tenantUserHeaders(admin, 'operator');
      const scimToken = expect2xx('scim token', await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: admin, payload: { name: `idp-${slug}` } }));
      const scim = { authorization: `Bearer ${String(scimToken.token)}` };
      const person = `person-${slug}@gauntlet.example`;
      const scimUser = expect2xx('scim user', await scimCall(t, 'POST', '/scim/v2/Users', scim, { schemas: [USER_SCHEMA], userName: person, active: true }));
      const scimGroup = expect2xx('scim group', await scimCall(t, 'POST', '/scim/v2/Groups', scim, { schemas: [GROUP_SCHEMA], displayName: `group-${slug}`, members: [{ value: scimUser.id }] }));
      // A SCIM token revoked at once, and one that expires once the clock moves (below).
      const revoked = expect2xx('scim token', await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: admin, payload: { name: `revoked-${slug}` } }));
      expect2xx('revoke', await t.app.inject({ method: 'DELETE', url: `/v1/directory/scim-tokens/${String(revoked.id)}`, headers: admin }));
      const expiring = expect2xx('scim token', await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: admin, payload: { name: `expiring-${slug}`, expires_in_seconds: 3600 } }));
      const ids = [String(tenant.id), String(test.id), String(pool.id), String(enrolled.agent_id), String(scimUser.id), String(scimGroup.id), String(scimToken.id)];
      tenants.push({
        slug,
        id: String(tenant.id),
        testId: String(test.id),
        poolId: String(pool.id),
        agentId: String(enrolled.agent_id),
        scimUserId: String(scimUser.id),
        scimGroupId: String(scimGroup.id),
        scimTokenId: String(scimToken.id),
        markers: [...ids, target, person, `flow-${slug}`],
        telemetryMarkers: [String(test.id), target, person, `flow-${slug}`, String(scimUser.id)],
      });
      const owner: Owner = { kind: 'tenant', slug };
      credentials.push(
        { label: `${slug}/admin`, owner, headers: admin },
        { label: `${slug}/user`, owner, headers: user },
        { label: `${slug}/agent`, owner, headers: agent },
        { label: `${slug}/scim`, owner, headers: scim },
        { label: 'revoked/scim', owner: { kind: 'nobody' }, headers: { authorization: `Bearer ${String(revoked.token)}` } },
        { label: 'expired/scim', owner: { kind: 'nobody' }, headers: { authorization: `Bearer ${String(expiring.token)}` } },
      );
      secrets.push(...[admin, user, agent, scim].map(bearer), String(bootstrap.token), String(revoked.token), String(expiring.token));
    }
  }

  // A break-glass grant for pooled-a: approved by its tenant admin, activated by an on-call operator.
  const oncall = await t.operatorHeaders('gauntlet-oncall', ['provider_operator']);
  const pooledAdmin = credentials.find((credential) => credential.label === 'pooled-a/admin');
  if (pooledAdmin === undefined) throw new Error('no pooled-a admin');
  const opened = expect2xx('break-glass', await t.app.inject({ method: 'POST', url: '/provider/v1/break-glass', headers: oncall, payload: { tenant: 'pooled-a', reason: 'gauntlet', scope: ['telemetry:read'], duration_minutes: 240 } }));
  const breakGlassId = String(opened.id);
  const approver = await t.tenantUserHeaders({ authorization: pooledAdmin.headers.authorization ?? '' }, 'admin');
  expect2xx('approve', await t.app.inject({ method: 'POST', url: `/v1/break-glass/${breakGlassId}/approve`, headers: approver, payload: {} }));
  const activated = expect2xx('activate', await t.app.inject({ method: 'POST', url: `/provider/v1/break-glass/${breakGlassId}/activate`, headers: oncall }));
  const grant = String(activated.grant_token);
  credentials.push({ label: 'pooled-a/grant', owner: { kind: 'tenant', slug: 'pooled-a' }, headers: { authorization: `Bearer ${grant}` } });
  secrets.push(grant, bearer(approver), bearer(oncall));

  // An operator session that signed out: revoked.
  const gone = await t.operatorHeaders('gauntlet-gone', ['provider_operator']);
  expect2xx('logout', await t.app.inject({ method: 'POST', url: '/provider/v1/auth/logout', headers: gone }));
  credentials.push({ label: 'revoked/operator', owner: { kind: 'nobody' }, headers: gone });
  secrets.push(bearer(gone));

  // Past the expiring tokens' hour: sessions signed in before it have idled out (the on-call one is
  // an expired operator session now); operators of each role sign in fresh.
  t.clock.advance(3700);
  credentials.push({ label: 'expired/operator', owner: { kind: 'nobody' }, headers: oncall });
  const admin = await t.freshAdminHeaders();
  credentials.push({ label: 'operator/provider_admin', owner: { kind: 'operator' }, headers: admin });
  for (const role of ['provider_operator', 'billing_viewer']) {
    const username = `gauntlet-${role.replace(/_/g, '-')}`;
    const password = `${username}-long-password`;
    expect2xx('operator', await t.app.inject({ method: 'POST', url: '/provider/v1/operators', headers: admin, payload: { username, roles: [role], password } }));
    credentials.push({ label: `operator/${role}`, owner: { kind: 'operator' }, headers: await enrollOperator(t.app, username, password, t.clock) });
    secrets.push(password);
  }
  for (const credential of credentials.filter((candidate) => candidate.owner.kind === 'operator')) secrets.push(bearer({ authorization: credential.headers.authorization ?? '' }));

  // Malformed: prefixes without a token, tokens of the right shape that were never issued, other schemes, none.
  for (const [label, value] of [
    ['malformed/bht', 'Bearer bht_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['malformed/bho', 'Bearer bho_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['malformed/bhs', 'Bearer bhs_'],
    ['malformed/long', `Bearer bht_${'A'.repeat(4000)}`],
    ['malformed/basic', 'Basic YWRtaW46YWRtaW4='],
    ['malformed/garbage', 'Bearer \u00ff\u00fe'],
  ] as const) {
    credentials.push({ label, owner: { kind: 'nobody' }, headers: { authorization: value } });
  }
  credentials.push({ label: 'none', owner: { kind: 'nobody' }, headers: {} });
  return { t, tenants, credentials, secrets, logs, breakGlassId };
}
