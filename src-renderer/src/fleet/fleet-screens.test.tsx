import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type TenantFairness } from '../../../contracts/fairness';
import { type FakeHandlers } from '../testing/fake-bridge';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

function renderAt(at: string, handlers: FakeHandlers) {
  window.history.replaceState(null, '', at);
  return renderConsole({ 'app:info': () => ({ result: appInfo('ready') }), 'session:status': () => ({ result: signedIn }), ...handlers });
}

const tenant = (index: number, lane: string, admitted: number, shed: number): TenantFairness => ({
  tenant_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  slug: `tenant-${index}`,
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

const slugs = () => within(screen.getByTestId('fairness-overview')).getAllByRole('row').slice(1).map((row) => row.getAttribute('data-slug'));

describe('the fairness overview', () => {
  it('shows every tenant by shed rate (highest first) once two reads are in, the lanes they share, and sorts by a column', async () => {
    let reads = 0;
    renderAt('#/fairness', {
      'fairness:overview': (request) => {
        // Two pages a read; the counters grow between reads: tenant-2 sheds most, tenant-1 admits most.
        const step = request.cursor === undefined ? (reads += 1) : reads;
        const all = [tenant(1, 'cell:0', 1000 * step, 0), tenant(2, 'cell:0', 100 * step, 500 * step), tenant(3, 'own:x', 10 * step, 50 * step)];
        return request.cursor === undefined ? { result: { items: all.slice(0, 2), next_cursor: '2' } } : { result: { items: all.slice(2), next_cursor: null } };
      },
    });
    await waitFor(() => {
      expect(slugs()).toEqual(['tenant-2', 'tenant-3', 'tenant-1']);
    }, { timeout: 15_000 });
    expect(screen.getByRole('columnheader', { name: /Shed/ }).getAttribute('aria-sort')).toBe('descending');
    expect(screen.getByTestId('fairness-lanes').textContent).toBe('Shared write lanes: cell:0 (2 tenants).');
    fireEvent.click(within(screen.getByRole('columnheader', { name: /Admitted/ })).getByRole('button'));
    expect(slugs()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
    fireEvent.click(within(screen.getByRole('columnheader', { name: /Tenant/ })).getByRole('button'));
    expect(slugs()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
    expect(screen.getByRole('columnheader', { name: /Tenant/ }).getAttribute('aria-sort')).toBe('ascending');
  }, 30_000);

  it('has an empty state with a next step, and an error state', async () => {
    renderAt('#/fairness', { 'fairness:overview': () => ({ result: { items: [], next_cursor: null } }) });
    expect(await screen.findByRole('link', { name: 'Create one' })).toBeTruthy();
    cleanup();
    renderAt('#/fairness', { 'fairness:overview': () => fail('forbidden', 'You lack fairness:read.') });
    expect(await screen.findByText('Fairness could not be read')).toBeTruthy();
  });
});

describe('the replicas screen', () => {
  it('says why SQLite has one replica instead of listing it', async () => {
    renderAt('#/replicas', { 'replicas:list': () => ({ result: { storage: 'sqlite', live_count: 1, items: [{ id: '00000000-0000-4000-8000-000000000001', address: '127.0.0.1:8443', started_at: '2026-12-01T10:00:00.000Z', heartbeat_at: '2026-12-01T10:00:05.000Z', self: true }] } }) });
    expect(await screen.findByText('One replica: this control plane runs on SQLite')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('lists the live replicas on PostgreSQL, marking the one answering', async () => {
    const replica = (index: number, self: boolean) => ({ id: `00000000-0000-4000-8000-00000000000${index}`, address: `10.0.0.${index}:8443`, started_at: '2026-12-01T10:00:00.000Z', heartbeat_at: '2026-12-01T10:00:05.000Z', self });
    renderAt('#/replicas', { 'replicas:list': () => ({ result: { storage: 'postgres', live_count: 2, items: [replica(1, true), replica(2, false)] } }) });
    expect((await screen.findByTestId('replica-count')).textContent).toMatch(/^2 live replicas on PostgreSQL; each admits 1\/2/);
    expect(screen.getAllByRole('row')).toHaveLength(3);
    expect(screen.getByRole('row', { name: /10\.0\.0\.1:8443/ }).textContent).toContain('answering this console');
  });
});
