import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorRunView } from '../../../contracts/simulation';
import { type FakeHandlers } from '../testing/fake-bridge';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const idle: SimulatorRunView = { state: 'idle', scenario: null, seed: null, started_at: null, finished_at: null, steps: [], window: null, attempts: null, tenants: [], report: null, error: null };

const running: SimulatorRunView = {
  ...idle,
  state: 'running',
  scenario: 'noisy-neighbor',
  seed: 7,
  started_at: '2026-12-05T10:00:00.000Z',
  steps: ['setting up acme-abcd', 'window 2 of 2: together'],
  window: { label: 'together', index: 1, of: 2 },
  tenants: [
    { tenant: 'hooli-abcd', role: 'noisy', points: [{ t_ms: 2000, admitted_per_s: 1300, shed_per_s: 8700 }] },
    { tenant: 'acme-abcd', role: 'quiet', points: [{ t_ms: 2000, admitted_per_s: 100, shed_per_s: 0 }] },
  ],
};

const finished: SimulatorRunView = {
  ...running,
  state: 'finished',
  window: null,
  finished_at: '2026-12-05T10:00:30.000Z',
  report: {
    scenario: 'noisy-neighbor',
    ok: true,
    seed: 7,
    duration_ms: 30_000,
    table: { title: 'noisy-neighbor (seed 7)', columns: ['tenant', 'shed'], rows: [['hooli-abcd', 13500], ['acme-abcd', 0]] },
    invariants: [{ name: 'quiet tenants: never shed', ok: true, detail: 'shed 0' }],
    notes: ['handover: tenants were handed over'],
    parts: [],
  },
};

function renderAt(at: string, handlers: FakeHandlers) {
  window.history.replaceState(null, '', at);
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    ...handlers,
  });
}

describe('the simulator panel', () => {
  it('starts the scenario picked, with its size and seed, shows progress and a chart per tenant, then the report', async () => {
    let view = idle;
    const { fake } = renderAt('#/simulator', {
      'simulator:status': () => ({ result: view }),
      'simulator:start': () => {
        view = running;
        return { result: running };
      },
    });
    await screen.findByText(/No run yet/);
    fireEvent.change(screen.getByLabelText('Tenants'), { target: { value: '4' } });
    fireEvent.change(screen.getByLabelText('Load seconds'), { target: { value: '8' } });
    fireEvent.change(screen.getByLabelText('Seed'), { target: { value: '7' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => {
      expect(fake.callsTo('simulator:start')).toEqual([{ scenario: 'noisy-neighbor', tenants: 4, duration_seconds: 8, seed: 7 }]);
    });
    const run = await screen.findByTestId('simulator-run');
    expect(run.getAttribute('data-state')).toBe('running');
    expect(within(run).getByRole('status').textContent).toContain('window 2 of 2 (together)');
    const cards = screen.getAllByTestId('simulator-tenant');
    expect(cards.map((card) => card.textContent)).toEqual([expect.stringContaining('hooli-abcd'), expect.stringContaining('acme-abcd')]);
    expect(cards[0]?.textContent).toContain('1,300 admitted/s · 8,700 shed/s');
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
    // The form is locked while the run goes on.
    expect(screen.getByRole<HTMLSelectElement>('combobox', { name: 'Scenario' }).disabled).toBe(true);

    // The next poll brings the report.
    view = finished;
    const report = await screen.findByTestId('simulator-report', {}, { timeout: 5_000 });
    expect(report.textContent).toContain('every invariant holds');
    expect(within(report).getByRole('table').textContent).toContain('13,500');
    expect(report.textContent).toContain('✓ quiet tenants: never shed');
    expect(screen.getByRole('button', { name: 'Start' })).toBeTruthy();
  });

  it('stops a running scenario', async () => {
    let view = running;
    const { fake } = renderAt('#/simulator', {
      'simulator:status': () => ({ result: view }),
      'simulator:stop': () => {
        view = { ...running, state: 'stopped', window: null, error: null };
        return { result: view };
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    await screen.findByText(/tenants stay on the control plane/);
    expect(fake.callsTo('simulator:stop')).toHaveLength(1);
  });

  it('shows why a start was refused, and a failed run with its reason', async () => {
    renderAt('#/simulator', {
      'simulator:status': () => ({ result: { ...idle, state: 'failed', scenario: 'scim-sync', seed: 3, started_at: '2026-12-05T10:00:00.000Z', error: 'the control plane could not be reached' } }),
      'simulator:start': () => fail('forbidden', 'The simulator trusts a control plane by its CA certificate.'),
    });
    expect((await screen.findByText('The run failed')).parentElement?.textContent).toContain('the control plane could not be reached');
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect((await screen.findByText('The run did not start')).parentElement?.textContent).toContain('by its CA certificate');
  });
});

describe('an empty console', () => {
  it('offers Run the demo, which starts the demo keeping its tenants and opens the simulator panel', async () => {
    const { fake } = renderAt('#/tenants', {
      'license:get': () => ({ result: { licensee: 'Test', tier: 'isolation', tenant_band: 25, tenants_used: 0, expires_at: '2030-01-01T00:00:00.000Z' } }),
      'tenants:summaries': () => ({ result: { items: [], next_cursor: null, month: '2026-12' } }),
      'simulator:status': () => ({ result: { ...running, scenario: 'demo', tenants: [] } }),
      'simulator:start': () => ({ result: { ...running, scenario: 'demo', tenants: [] } }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Run the demo' }));
    await waitFor(() => {
      expect(window.location.hash).toBe('#/simulator');
    });
    expect(fake.callsTo('simulator:start')).toEqual([{ scenario: 'demo', keep_tenants: true }]);
    expect((await screen.findByTestId('simulator-run')).textContent).toContain('demo');
  });
});
