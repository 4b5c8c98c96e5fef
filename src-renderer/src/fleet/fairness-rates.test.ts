import { describe, expect, it } from 'vitest';
import { type TenantFairness } from '../../../contracts/fairness';
import { ratesOf, sharedLanes, sortRates } from './fairness-rates';

const tenant = (slug: string, lane: string, admitted: number, shed: number): TenantFairness => ({
  tenant_id: `00000000-0000-4000-8000-${slug.padStart(12, '0')}`,
  slug,
  ingest_rate_per_sec: 100,
  ingest_burst: 200,
  query_budget: 60,
  admitted_calls: 0,
  admitted_units: admitted,
  shed_calls: 0,
  shed_units: shed,
  queue_depth: 0,
  latency_p50_ms: null,
  latency_p99_ms: null,
  live_replicas: 1,
  write_lane: lane,
});

describe('fairness overview figures', () => {
  const first = { at: 0, items: [tenant('a', 'cell:0', 0, 0), tenant('b', 'cell:0', 0, 0), tenant('c', 'own:c', 500, 0)] };
  const second = { at: 2000, items: [tenant('a', 'cell:0', 200, 100), tenant('b', 'cell:0', 400, 0), tenant('c', 'own:c', 100, 0), tenant('d', 'cell:0', 5, 5)] };

  it('turns two snapshots into units per second, null where there is no earlier figure or a counter went down', () => {
    expect(ratesOf(null, first).map((row) => [row.tenant.slug, row.admitted, row.shed])).toEqual([['a', null, null], ['b', null, null], ['c', null, null]]);
    const rates = ratesOf(first, second);
    expect(rates.map((row) => [row.tenant.slug, row.admitted, row.shed, row.lane_tenants])).toEqual([['a', 100, 50, 3], ['b', 200, 0, 3], ['c', null, null, 1], ['d', null, null, 3]]);
  });

  it('sorts by shed (unknown last either way), admitted, slug or lane', () => {
    const rates = ratesOf(first, second);
    expect(sortRates(rates, 'shed', true).map((row) => row.tenant.slug)).toEqual(['a', 'b', 'c', 'd']);
    expect(sortRates(rates, 'shed', false).map((row) => row.tenant.slug)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortRates(rates, 'admitted', true).map((row) => row.tenant.slug)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortRates(rates, 'slug', true).map((row) => row.tenant.slug)).toEqual(['d', 'c', 'b', 'a']);
    expect(sortRates(rates, 'lane', false).map((row) => row.tenant.slug)).toEqual(['a', 'b', 'd', 'c']);
  });

  it('names the write lanes tenants share', () => {
    expect(sharedLanes(ratesOf(first, second))).toEqual([{ lane: 'cell:0', tenants: ['a', 'b', 'd'] }]);
  });
});
