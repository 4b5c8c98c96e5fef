import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type FairnessWhatIf, type TenantFairness } from '../../../contracts/fairness';
import { type Tenant } from '../../../contracts/tenants';
import { appInfo, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';
import { whatIfColumns } from './fairness-what-if';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const id = '00000000-0000-4000-8000-000000000042';
const acme: Tenant = {
  id,
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'pooled',
  residency: null,
  plan: null,
  contact_email: null,
  state: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  counts: { agents: 2, users: 3, tests: 4 },
  quotas: { max_agents: 100, max_users: 50, max_tests: 200, storage_quota_mb: 10_240, api_rate_limit_rpm: 600 },
  handed_over_at: null,
};
const fairness: TenantFairness = {
  tenant_id: id,
  slug: 'acme',
  ingest_rate_per_sec: 100,
  ingest_burst: 200,
  query_budget: 600,
  admitted_calls: 0,
  admitted_units: 0,
  shed_calls: 0,
  shed_units: 0,
  queue_depth: 0,
  latency_p50_ms: null,
  latency_p99_ms: null,
  live_replicas: 1,
  write_lane: 'cell:0',
};

/** A made-up replay: 1,000 units offered each of 3 seconds; the proposed rate admits that share of them. */
function answer(rate: number, burst: number): FairnessWhatIf {
  const admitted = Math.min(1000, rate);
  const seconds = [100, 101, 102].map((at) => ({ at, offered_units: 1000, admitted_units: 100, shed_units: 900, predicted_admitted_units: admitted, predicted_shed_units: 1000 - admitted }));
  return {
    tenant_id: id,
    slug: 'acme',
    current: { ingest_rate_per_sec: 100, ingest_burst: 200 },
    proposed: { ingest_rate_per_sec: rate, ingest_burst: burst },
    live_replicas: 1,
    seconds,
    totals: { offered_units: 3000, admitted_units: 300, shed_units: 2700, predicted_admitted_units: 3 * admitted, predicted_shed_units: 3 * (1000 - admitted) },
  };
}

describe('the fairness what-if on the Quotas & Fairness tab', () => {
  it('replays the typed rate and burst before they are saved, and shows today beside the prediction', async () => {
    window.history.replaceState(null, '', '#/tenants/acme/quotas');
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedIn }),
      'tenants:get': () => ({ result: acme }),
      'fairness:get': () => ({ result: fairness }),
      'fairness:what-if': (request) => ({ result: answer(request.rate ?? 100, request.burst ?? 200) }),
    });
    const panel = await screen.findByTestId('what-if');
    await waitFor(() => {
      expect(within(panel).getByTestId('what-if-predicted').textContent).toBe('300 admitted · 2,700 shed');
    });
    expect(within(panel).getByTestId('what-if-today').textContent).toBe('300 admitted · 2,700 shed');
    expect(fake.callsTo('fairness:what-if')[0]).toEqual({ tenant: id, seconds: 300, rate: 100, burst: 200 });

    const form = within(screen.getByRole('form', { name: 'Fairness limits' }));
    fireEvent.change(form.getByLabelText(/Ingest rate/), { target: { value: '800' } });
    fireEvent.change(form.getByLabelText(/Ingest burst/), { target: { value: '' } });
    await waitFor(() => {
      expect(within(panel).getByTestId('what-if-predicted').textContent).toBe('2,400 admitted · 600 shed');
    });
    // An empty burst is left to the control plane (two seconds of the rate, as saving does); nothing was saved.
    expect(fake.callsTo('fairness:what-if').at(-1)).toEqual({ tenant: id, seconds: 300, rate: 800 });
    expect(fake.callsTo('fairness:set')).toEqual([]);
    expect(within(panel).getByText(/Proposed \(800\/s/)).toBeTruthy();
  });

  it('draws today and the prediction as uPlot columns, one row per second, quiet seconds before the traffic left out down to a minute', () => {
    const long = answer(400, 800);
    const quiet = Array.from({ length: 100 }, (_, index) => ({ at: index, offered_units: 0, admitted_units: 0, shed_units: 0, predicted_admitted_units: 0, predicted_shed_units: 0 }));
    const columns = whatIfColumns({ ...long, seconds: [...quiet, ...long.seconds] });
    expect(columns[0]).toHaveLength(60);
    expect(columns[0].at(-1)).toBe(102);
    expect(whatIfColumns({ ...long, seconds: [...quiet.slice(0, 10), ...long.seconds] })[0]).toHaveLength(13);
    expect(whatIfColumns(answer(400, 800))).toEqual([
      [100, 101, 102],
      [100, 100, 100],
      [900, 900, 900],
      [400, 400, 400],
      [600, 600, 600],
    ]);
  });
});
