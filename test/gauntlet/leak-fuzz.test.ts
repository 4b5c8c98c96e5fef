import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type Credential, type World, type WorldTenant } from './gauntlet-world';
import { engineName, gauntletSeed, leakRequests, recordFigures, seededRandom } from './gauntlet-size';
import { GROUP_SCHEMA, PATCH_OP } from '../helpers/scim-fixtures';

/** Routes whose success with a valid credential would end the credential itself: sent by nobody's credentials only. */
const SELF_ENDING = new Set(['POST /provider/v1/auth/logout', 'POST /provider/v1/auth/totp', 'POST /provider/v1/auth/totp/confirm', 'POST /provider/v1/auth/recovery-codes', 'PUT /provider/v1/auth/password']);
const JUNK = ['00000000-0000-4000-8000-000000000000', 'x', '1', '-1', '..', '%2e%2e', 'NaN', '9'.repeat(25), 'urn:ietf:params:scim:schemas:core:2.0:User'];

interface Leak {
  request: string;
  credential: string;
  status: number;
  marker: string;
  of: string;
}

/**
 * The cross-tenant leak fuzz: seeded random requests round-robin over every route of the route table,
 * each with a random credential of every kind (each tenant's admin, user, agent, SCIM and grant tokens;
 * operators of each role; expired, revoked, malformed, none) and path values, queries and bodies naming
 * other tenants' ids. A leak is a response carrying what belongs to a tenant other than the credential's
 * (its ids, targets, people) that the request did not itself name, or an operator reading telemetry or
 * people. On SQLite and PostgreSQL (the vitest project picks the engine), all three isolation models.
 * Afterwards: ledgers verify, and no secret the run handed out is in the data dir, the logs or an error body.
 */
describe(`gauntlet: cross-tenant leak fuzz (${engineName})`, () => {
  let world: World;
  const errorBodies: string[] = [];

  beforeAll(async () => {
    world = await buildWorld();
  }, 240_000);

  afterAll(async () => {
    await world.t.close();
  });

  it('every valid credential of the world works before the fuzz starts', async () => {
    const probes: Record<string, string> = { admin: '/v1/tenant', user: '/v1/me', scim: '/scim/v2/Users', grant: '/v1/telemetry/summary' };
    for (const credential of world.credentials.filter((candidate) => candidate.owner.kind !== 'nobody')) {
      const kind = credential.label.split('/')[1] ?? '';
      const url = credential.owner.kind === 'operator' ? '/provider/v1/auth/session' : probes[kind];
      if (url === undefined) continue;
      const response = await world.t.app.inject({ method: 'GET', url, headers: credential.headers });
      expect(response.statusCode, `${credential.label} ${url}: ${response.body.slice(0, 200)}`).toBe(200);
    }
  });

  it('sees what it looks for: a tenant reads its own markers, and the same body is a leak for anyone else', async () => {
    for (const tenant of world.tenants) {
      const reader = world.credentials.find((credential) => credential.label === `${tenant.slug}/user`);
      const response = await world.t.app.inject({ method: 'GET', url: '/v1/telemetry/results?limit=10', headers: reader?.headers ?? {} });
      expect(response.body, tenant.slug).toContain(tenant.testId);
      for (const other of world.credentials.filter((credential) => credential.owner.kind !== 'tenant' || credential.owner.slug !== tenant.slug)) {
        expect(leaksIn(response.body, other, world.tenants, '/v1/telemetry/results').length, other.label).toBeGreaterThan(0);
      }
    }
  });

  it(`makes ${leakRequests} requests over every route without a leak or a 5xx`, { timeout: 900_000 }, async () => {
    const { t, tenants, credentials } = world;
    const random = seededRandom(gauntletSeed);
    const routes = t.app.routeTable;
    const byRoute = new Map<string, { attempts: number; ok: number; refused: number }>();
    const leaks: Leak[] = [];
    const serverErrors: string[] = [];
    const started = Date.now();
    const ownIds = (credential: Credential): string[] => {
      if (credential.owner.kind !== 'tenant') return [];
      const slug = credential.owner.slug;
      const tenant = tenants.find((candidate) => candidate.slug === slug);
      return tenant === undefined ? [] : [...tenant.markers, tenant.slug, ...(slug === 'pooled-a' ? [world.breakGlassId] : [])];
    };
    const anyId = (tenant: WorldTenant) => random.pick([tenant.id, tenant.slug, tenant.testId, tenant.poolId, tenant.agentId, tenant.scimUserId, tenant.scimGroupId, tenant.scimTokenId]);

    for (let i = 0; i < leakRequests; i++) {
      const route = routes[i % routes.length];
      if (route === undefined) break;
      const key = `${route.method} ${route.url}`;
      let credential = random.pick(credentials);
      if (SELF_ENDING.has(key) && credential.owner.kind !== 'nobody') credential = random.pick(credentials.filter((candidate) => candidate.owner.kind === 'nobody'));
      const mutating = route.method !== 'GET';
      // Writes never name the credential's own things (a fuzz that deletes its own world stops testing);
      // an operator's writes name nothing real (it may suspend or delete tenants: that is its job).
      const own = ownIds(credential);
      const pathValue = (): string => {
        if (mutating && credential.owner.kind === 'operator') return random.pick(JUNK);
        const roll = random.next();
        if (roll < 0.1) return random.pick(JUNK);
        if (roll < 0.15) return world.breakGlassId;
        for (;;) {
          const value = anyId(random.pick(tenants));
          if (!mutating || !own.includes(value)) return value;
        }
      };
      const url = route.url.replace(/:[a-z_]+/g, () => encodeURIComponent(pathValue())) + query(random, tenants);
      const payload = mutating ? body(random, tenants, route.url) : undefined;
      const response = await t.app.inject({
        method: route.method as 'GET',
        url,
        headers: { ...credential.headers, ...(payload === undefined ? {} : { 'content-type': route.url.startsWith('/scim/v2') ? 'application/scim+json' : 'application/json' }) },
        ...(payload === undefined ? {} : { payload }),
      });
      const tally = byRoute.get(key) ?? { attempts: 0, ok: 0, refused: 0 };
      tally.attempts++;
      if (response.statusCode < 400) tally.ok++;
      else tally.refused++;
      byRoute.set(key, tally);
      // The tenants' IdPs are hosts that do not resolve: sign-in answers the documented 502 not_ready (api.md), not a server fault.
      const dependency = response.statusCode === 502 && route.url.startsWith('/v1/auth/oidc/') && response.body.includes('"code":"not_ready"');
      if (response.statusCode >= 500 && !dependency) serverErrors.push(`${key} ${url} (${credential.label}) → ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (response.statusCode >= 400) errorBodies.push(response.body);
      const asked = url + (payload ?? '');
      for (const leak of leaksIn(response.body, credential, tenants, asked)) leaks.push({ request: `${route.method} ${url}`, credential: credential.label, status: response.statusCode, ...leak });
    }

    const durationMs = Date.now() - started;
    console.log(
      `gauntlet leak fuzz (${engineName}) attempts by route:\n${[...byRoute.entries()].map(([route, tally]) => `  ${route}: ${tally.attempts} (${tally.ok} ok, ${tally.refused} refused)`).join('\n')}`,
    );
    recordFigures({ part: 'leak-fuzz', engine: engineName, requests: leakRequests, leaks: leaks.length, serverErrors: serverErrors.length, faultsSurvived: 0, durationMs });
    expect([...byRoute.keys()].sort()).toEqual(routes.map((route) => `${route.method} ${route.url}`).sort());
    expect(leaks.slice(0, 20)).toEqual([]);
    expect(serverErrors.slice(0, 20)).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('leaves every ledger verifying', async () => {
    const operator = world.credentials.find((credential) => credential.label === 'operator/provider_admin');
    const provider = await world.t.app.inject({ method: 'GET', url: '/provider/v1/audit/verify', headers: operator?.headers ?? {} });
    expect(provider.json<{ ok: boolean }>().ok, provider.body).toBe(true);
    for (const tenant of world.tenants) {
      const admin = world.credentials.find((credential) => credential.label === `${tenant.slug}/admin`);
      const ask = () => world.t.app.inject({ method: 'GET', url: '/v1/audit/verify', headers: admin?.headers ?? {} });
      let verified = await ask();
      // The fuzz may have spent the tenant's API budget (the large run sends 60,000 requests): wait
      // out its Retry-After on the app's clock, as a client would, then ask again.
      if (verified.statusCode === 429) {
        world.t.clock.advance(Math.ceil(verified.json<{ error: { details: { retry_after_ms: number } } }>().error.details.retry_after_ms / 1000));
        verified = await ask();
      }
      expect(verified.json<{ ok: boolean }>().ok, `${tenant.slug}: ${verified.body}`).toBe(true);
    }
  });

  it('leaves no secret it handed out in the data dir, the logs or an error body', async () => {
    const stored = await world.t.engine.rawContents();
    const logs = world.logs.join('');
    expect(logs.length, 'the app logged').toBeGreaterThan(0);
    const errors = errorBodies.join('\n');
    const found: string[] = [];
    for (const secret of world.secrets) {
      const needle = Buffer.from(secret, 'utf8');
      if (stored.some((contents) => contents.includes(needle))) found.push(`data dir: ${secret.slice(0, 8)}…`);
      if (logs.includes(secret)) found.push(`logs: ${secret.slice(0, 8)}…`);
      if (errors.includes(secret)) found.push(`error body: ${secret.slice(0, 8)}…`);
    }
    // The deployment key as raw bytes too (it is handed over base64).
    const rawKey = Buffer.from(world.t.deploymentKey, 'base64');
    if (stored.some((contents) => contents.includes(rawKey))) found.push('data dir: the raw deployment key');
    expect(found).toEqual([]);
  });
});

/** Markers in `body` of tenants other than the credential's (all tenants' telemetry for operators; anything for nobody) that `asked` did not name. */
function leaksIn(body: string, credential: Credential, tenants: WorldTenant[], asked: string): { marker: string; of: string }[] {
  const found: { marker: string; of: string }[] = [];
  for (const tenant of tenants) {
    if (credential.owner.kind === 'tenant' && credential.owner.slug === tenant.slug) continue;
    const markers = credential.owner.kind === 'operator' ? tenant.telemetryMarkers : tenant.markers;
    for (const marker of markers) {
      if (body.includes(marker) && !asked.includes(marker)) found.push({ marker, of: tenant.slug });
    }
  }
  return found;
}

function query(random: ReturnType<typeof seededRandom>, tenants: WorldTenant[]): string {
  const params = new URLSearchParams();
  const tenant = random.pick(tenants);
  if (random.next() < 0.3) params.set('tenant', random.pick([tenant.slug, tenant.id]));
  if (random.next() < 0.3) params.set('test_id', tenant.testId);
  if (random.next() < 0.2) params.set('agent_id', tenant.agentId);
  if (random.next() < 0.2) params.set('filter', `userName eq "person-${tenant.slug}@gauntlet.example"`);
  if (random.next() < 0.2) params.set('limit', random.pick(['1', '1000', '0', '-1', 'x']));
  if (random.next() < 0.1) params.set('cursor', random.pick(['x', tenant.id, 'eyJpZCI6IngifQ']));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A body that names other tenants' things where the route's contract takes ids. */
function body(random: ReturnType<typeof seededRandom>, tenants: WorldTenant[], url: string): string {
  const tenant = random.pick(tenants);
  const ts = new Date().toISOString();
  const candidates: unknown[] = [
    {},
    { batch_id: `fuzz-${random.int(1e9)}`, results: [{ test_id: tenant.testId, ts, latency_ms: 1, ok: true, target: 'https://x.example' }] },
    { schemas: [GROUP_SCHEMA], displayName: `fuzz-${random.int(1e6)}`, members: [{ value: tenant.scimUserId }] },
    { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: tenant.scimUserId }] }] },
    { tenant: random.pick([tenant.slug, tenant.id]), reason: 'fuzz', scope: ['telemetry:read'], duration_minutes: 30 },
    { mappings: [{ group: `group-${tenant.slug}`, role: 'admin' }] },
    { name: `fuzz-${random.int(1e6)}`, target: 'https://fuzz.example', kind: 'http', interval_s: 60, test_id: tenant.testId },
    { bootstrap_token: `bhb_${tenant.id}`, name: 'fuzz' },
    { comment: tenant.id, reason: tenant.slug, expires_in_seconds: 3600 },
  ];
  const chosen = url.startsWith('/scim/v2') ? random.pick(candidates.slice(2, 4).concat([{}])) : random.pick(candidates);
  return JSON.stringify(chosen);
}
