import { describe, expect, it } from 'vitest';
import { fixtureDocument, fixtureRoutes } from './fixture-routes';
import { evidenceDocument, kindStats, routeStats } from './probe-report';
import type { ChainReport } from './provider-chains';
import type { AttemptOutcome } from './run-attempts';

const catalog = { version: '9.9.9', documentSha256: 'ab'.repeat(32), routes: fixtureRoutes() };
const outcome = (route: string, kind: AttemptOutcome['kind'], verdict: AttemptOutcome['verdict'], status: number | null, reason = ''): AttemptOutcome => ({ n: 0, class: 'cross-tenant', route, attacker: `acme/${kind}`, kind, victim: 'globex', slot: 'path:id', id_kind: 'test', verdict, reason, status, baseline_status: 404 });
const chain: ChainReport = {
  name: 'provider actions after handover',
  tenant: 'globex',
  story: '',
  steps: [
    { action: 'mint', route: 'GET /provider/v1/tenants/{tenant}', credential: 'operator:provider_admin', status: 409, code: 'tenant_handed_over', expected: 'refused', leak: false },
    { action: 'suspend', route: 'GET /provider/v1/tenants/{tenant}', credential: 'operator:provider_admin', status: 200, code: '', expected: 'allowed', leak: false },
  ],
};

describe('the probe report', () => {
  const outcomes = [
    outcome('DELETE /v1/tests/{id}', 'scim', 'refused', 401),
    outcome('DELETE /v1/tests/{id}', 'tenant-admin', 'leak', 204),
    outcome('GET /v1/telemetry/results', 'person:admin', 'own-scope', 200),
    outcome('GET /v1/telemetry/results', 'person:admin', 'refused', 400, '400 invalid_request'),
    outcome('GET /healthz', 'agent', 'public', 200),
    outcome('GET /healthz', 'agent', 'public', 401),
    outcome('GET /healthz', 'agent', 'skipped', null),
  ];

  it('counts attempts by route in the document’s order, by how they ended, with chains on their routes', () => {
    const stats = routeStats(catalog, outcomes, [chain]);
    expect(stats.map((entry) => entry.route)).toEqual(fixtureRoutes().map((route) => route.key));
    const byRoute = Object.fromEntries(stats.map((entry) => [entry.route, entry]));
    expect(byRoute['DELETE /v1/tests/{id}']).toMatchObject({ attempts: 2, refused: 1, leaks: 1, by_kind: { scim: 1, 'tenant-admin': 1 } });
    expect(byRoute['GET /v1/telemetry/results']).toMatchObject({ attempts: 2, answered: 1, refused: 1, stopped_at_validation: 1 });
    // A public route's 401 is a refusal; a skipped attempt is not an attempt.
    expect(byRoute['GET /healthz']).toMatchObject({ attempts: 2, answered: 1, refused: 1, skipped: 1 });
    expect(byRoute['GET /provider/v1/tenants/{tenant}']).toMatchObject({ attempts: 2, refused: 1, answered: 1, leaks: 0 });
    expect(kindStats(outcomes, [chain])).toMatchObject({ 'tenant-admin': { attempts: 1, leaks: 1 }, 'operator:provider_admin': { attempts: 2, leaks: 0 } });
  });

  it('writes an evidence document that says what was tried, what got through and that heads are not signed', () => {
    const heads = { at: '2026-05-01T10:00:00.000Z', provider: { ok: true, size: 10, root: 'r' }, tenants: {} };
    const document = evidenceDocument({
      generatedAt: new Date('2026-05-01T10:00:00.000Z'),
      seed: 7,
      planSha256: 'cd'.repeat(32),
      durationMs: 1000,
      control: { url: 'https://127.0.0.1:1', kind: 'embedded' },
      catalog,
      tenants: [],
      heldTenant: null,
      routes: routeStats(catalog, outcomes, [chain]),
      kinds: kindStats(outcomes, [chain]),
      leaks: outcomes.filter((entry) => entry.verdict === 'leak'),
      chains: [chain],
      disclosures: [],
      before: heads,
      after: heads,
      invariants: [],
    });
    expect(document).toMatchObject({ format: 'bulkhead-isolation-evidence/1', control_plane: { version: '9.9.9', routes: Object.keys(fixtureDocument.paths).length }, attempts: { total: 8, leaks: 1 }, ledgers: { signed_heads: false } });
  });
});
