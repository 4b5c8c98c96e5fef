import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FairnessWhatIf } from '../../../contracts/fairness';
import { BATCH_UNITS_HEADER } from '../../../contracts/telemetry';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

// GET /provider/v1/tenants/{tenant}/fairness/what-if (#21): recent offered traffic replayed under proposed limits.
describe('provider plane: the fairness what-if', () => {
  let t: TestApp;
  let admin: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const whatIf = async (slug: string, query = '', headers: Headers = admin) => {
    const response = await t.app.inject({ method: 'GET', url: `/provider/v1/tenants/${slug}/fairness/what-if${query}`, headers });
    expect(response.statusCode, response.body).toBe(200);
    return FairnessWhatIf.parse(response.json());
  };

  /**
   * Five seconds of two 150-unit batches a second against 100 units/s (burst 200): the first admitted,
   * most refused. The batches declare their units (as the simulator's agents do): a batch refused
   * before its body is read without a declaration has no known units to record.
   */
  const floodingTenant = async (slug: string) => {
    const tenant = await t.tenantAdminHeaders(slug, 'pooled');
    const [testId] = await definedTests(t.app, tenant);
    const agent = await enrolledAgentHeaders(t.app, tenant);
    const put = await t.app.inject({ method: 'PUT', url: `/provider/v1/tenants/${slug}/fairness`, headers: admin, payload: { ingest_rate_per_sec: 100, ingest_burst: 200, query_budget: 100 } });
    expect(put.statusCode).toBe(200);
    const statuses: number[] = [];
    for (let second = 0; second < 5; second++) {
      for (const half of ['a', 'b']) {
        const batch = { batch_id: `${slug}-${second}-${half}`, results: Array.from({ length: 150 }, () => ({ test_id: testId, ts: t.clock.now().toISOString(), latency_ms: 12, ok: true })) };
        statuses.push((await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: { ...agent, [BATCH_UNITS_HEADER]: '150' }, payload: batch })).statusCode);
      }
      t.clock.advance(1);
    }
    return statuses;
  };

  it("answers today's admitted and shed per second beside the replay under proposed limits", async () => {
    const statuses = await floodingTenant('busy-co');
    const admittedToday = statuses.filter((status) => status === 202).length * 150;
    const shedToday = statuses.filter((status) => status === 429).length * 150;
    expect(shedToday).toBeGreaterThan(0);

    const today = await whatIf('busy-co', '?seconds=10');
    expect(today.seconds).toHaveLength(10);
    expect(today.current).toEqual({ ingest_rate_per_sec: 100, ingest_burst: 200 });
    expect(today.proposed).toEqual(today.current);
    expect(today.totals).toMatchObject({ offered_units: 1500, admitted_units: admittedToday, shed_units: shedToday });
    // Every second is in order, one apart, and the replay accounts for every offered unit.
    expect(today.seconds.map((second) => second.at - (today.seconds[0]?.at ?? 0))).toEqual([...Array(10).keys()]);
    expect(today.seconds.every((second) => second.predicted_admitted_units + second.predicted_shed_units === second.offered_units)).toBe(true);

    const generous = await whatIf('busy-co', '?seconds=10&rate=1000');
    expect(generous.proposed).toEqual({ ingest_rate_per_sec: 1000, ingest_burst: 2000 });
    expect(generous.totals).toMatchObject({ offered_units: 1500, predicted_admitted_units: 1500, predicted_shed_units: 0, admitted_units: admittedToday });

    // A burst smaller than a batch can never admit it.
    const tight = await whatIf('busy-co', '?seconds=10&rate=50&burst=100');
    expect(tight.totals).toMatchObject({ predicted_admitted_units: 0, predicted_shed_units: 1500 });
    // Nothing was saved: the tenant's limits are as they were.
    const fairness = await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/busy-co/fairness', headers: admin });
    expect(fairness.json()).toMatchObject({ ingest_rate_per_sec: 100, ingest_burst: 200 });
  });

  it("replays one tenant's traffic only: a neighbour's what-if sees none of it", async () => {
    await floodingTenant('busy-co');
    await t.tenantAdminHeaders('quiet-co', 'pooled');
    const quiet = await whatIf('quiet-co', '?seconds=60&rate=1');
    expect(quiet.slug).toBe('quiet-co');
    expect(quiet.totals).toEqual({ offered_units: 0, admitted_units: 0, shed_units: 0, predicted_admitted_units: 0, predicted_shed_units: 0 });
  });

  it('roles: fairness:read (an operator) reads it, a billing viewer does not; tenant credentials never reach it', async () => {
    await floodingTenant('busy-co');
    const operator = await t.operatorHeaders('ops-1', ['provider_operator']);
    expect((await whatIf('busy-co', '?seconds=10', operator)).totals.offered_units).toBe(1500);
    const billing = await t.operatorHeaders('billing-1', ['billing_viewer']);
    const refused = await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/busy-co/fairness/what-if', headers: billing });
    expect(refused.statusCode).toBe(403);
    // Tenant A's own credentials, at A's and at B's what-if: the provider plane takes none of them.
    const other = await t.tenantAdminHeaders('other-co', 'pooled');
    const owned = await t.ownedTenantHeaders('owned-co', 'pooled');
    for (const headers of [other, owned]) {
      for (const slug of ['busy-co', 'other-co', 'owned-co']) {
        const response = await t.app.inject({ method: 'GET', url: `/provider/v1/tenants/${slug}/fairness/what-if`, headers });
        expect(response.statusCode).toBe(401);
        expect(response.body).not.toContain('offered_units');
      }
    }
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/busy-co/fairness/what-if' })).statusCode).toBe(401);
  });

  it('refuses bad limits and windows with 400 at the field, an unknown tenant with 404, never 500', async () => {
    await t.tenantAdminHeaders('acme', 'pooled');
    for (const query of ['?rate=0', '?rate=abc', '?burst=-1', '?rate=1.5', '?seconds=5', '?seconds=99999', '?other=1', '?rate=10000001']) {
      const response = await t.app.inject({ method: 'GET', url: `/provider/v1/tenants/acme/fairness/what-if${query}`, headers: admin });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const missing = await t.app.inject({ method: 'GET', url: '/provider/v1/tenants/nobody-here/fairness/what-if', headers: admin });
    expect(missing.statusCode).toBe(404);
  });
});
