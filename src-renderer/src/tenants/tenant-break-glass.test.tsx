import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type LedgerEntryView } from '../../../contracts/audit';
import { type BreakGlassRequestView } from '../../../contracts/break-glass';
import { type BreakGlassStatus } from '../../../contracts/ipc';
import { type Tenant } from '../../../contracts/tenants';
import { type FakeHandlers } from '../testing/fake-bridge';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const TENANT_ID = '00000000-0000-4000-8000-000000000001';
const REQUEST_ID = '00000000-0000-4000-8000-0000000000b9';
const TEST_ID = '00000000-0000-4000-8000-0000000000c1';

const acme: Tenant = {
  id: TENANT_ID,
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'pooled',
  residency: 'eu',
  plan: null,
  contact_email: null,
  state: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  counts: { agents: 0, users: 0, tests: 0 },
  quotas: { max_agents: 100, max_users: 50, max_tests: 200, storage_quota_mb: 10_240, api_rate_limit_rpm: 600 },
  handed_over_at: '2026-11-02T00:00:00.000Z',
};

function request(overrides: Partial<BreakGlassRequestView> = {}): BreakGlassRequestView {
  return {
    id: REQUEST_ID,
    tenant_id: TENANT_ID,
    state: 'pending',
    reason: 'INC-7: latency spike',
    scope: ['telemetry:read'],
    duration_minutes: 30,
    requested_duration_minutes: 30,
    requested_by: { operator_id: '00000000-0000-4000-8000-0000000000a1', username: 'admin' },
    requested_at: '2026-12-01T10:00:00.000Z',
    request_expires_at: '2026-12-01T22:00:00.000Z',
    required_approvals: 1,
    approvals: [],
    decided_at: null,
    decided_by: null,
    decision_note: null,
    activated_at: null,
    grant_expires_at: null,
    ended_at: null,
    ended_by: null,
    end_reason: null,
    ...overrides,
  };
}

function renderAt(at: string, handlers: FakeHandlers) {
  window.history.replaceState(null, '', at);
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    'license:get': () => ({ result: { licensee: 'Test', tier: 'isolation', tenant_band: 25, tenants_used: 1, expires_at: '2030-01-01T00:00:00.000Z' } }),
    'tenants:get': () => ({ result: acme }),
    ...handlers,
  });
}

describe('the Break-glass tab', () => {
  it('opens a request with reason, scope and duration, refusing a bad duration at its field', async () => {
    let listed: BreakGlassStatus[] = [];
    const { fake } = renderAt('#/tenants/acme/break-glass', {
      'breakglass:list': () => ({ result: { items: listed } }),
      'breakglass:open': (sent) => {
        if (sent.duration_minutes > 240) return fail('invalid_request', 'bad', { issues: [{ path: 'duration_minutes', message: 'at most 240' }] });
        listed = [{ request: request({ reason: sent.reason }), grant: null }];
        return { result: listed[0] as BreakGlassStatus };
      },
    });
    const form = await screen.findByRole('form', { name: 'Open a break-glass request' });
    expect(await screen.findByText(/No break-glass requests/)).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Reason'), { target: { value: 'INC-7: latency spike' } });
    fireEvent.change(within(form).getByLabelText('Duration (minutes)'), { target: { value: '500' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Request access' }));
    await waitFor(() => {
      expect(within(form).getByLabelText('Duration (minutes)').getAttribute('aria-invalid')).toBe('true');
    });
    expect(within(form).getByText('at most 240')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Duration (minutes)'), { target: { value: '30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Request access' }));
    expect(await screen.findByText('Waiting for the tenant')).toBeTruthy();
    expect(fake.callsTo('breakglass:open').at(-1)).toEqual({ tenant: TENANT_ID, reason: 'INC-7: latency spike', scope: ['telemetry:read'], duration_minutes: 30 });
    expect(screen.getByRole('row', { name: /pending/ })).toBeTruthy();
  });

  it('follows the request to approved, activates it, shows the scoped view with its banner and time left, and ends it in place on revoke', async () => {
    let state: BreakGlassStatus = { request: request(), grant: null };
    const expiresAt = new Date(Date.now() + 29 * 60_000 + 30_000).toISOString();
    const { fake } = renderAt('#/tenants/acme/break-glass', {
      'breakglass:list': () => ({ result: { items: [state] } }),
      'breakglass:activate': () => {
        state = { request: request({ state: 'active', activated_at: new Date().toISOString(), grant_expires_at: expiresAt }), grant: { request_id: REQUEST_ID, tenant_id: TENANT_ID, scope: ['telemetry:read'], expires_at: expiresAt } };
        return { result: state };
      },
      'telemetry:summary': () => ({ result: { from: '2026-12-01T09:00:00.000Z', to: '2026-12-01T10:00:00.000Z', truncated: false, tests: [{ test_id: TEST_ID, results: 12, failures: 1, loss_pct: 8.33, latency_p50_ms: 25, latency_p95_ms: 30, latency_p99_ms: 31 }] } }),
      'telemetry:results': () => ({ result: { items: [{ test_id: TEST_ID, ts: '2026-12-01T09:59:00.000Z', latency_ms: 31, ok: true, batch_id: 'b1', target: 'https://acme.example/health', status_code: 200, error: null }], next_cursor: null } }),
    });
    expect(await screen.findByText('Waiting for the tenant')).toBeTruthy();
    expect(screen.queryByTestId('break-glass-banner')).toBeNull();
    // The tenant approves in its own plane; the tab learns it by polling.
    state = { request: request({ state: 'approved', approvals: [{ by: 'user:1', at: '2026-12-01T10:01:00.000Z', duration_minutes: null, comment: null }] }), grant: null };
    const activate = await screen.findByRole('button', { name: 'Activate' }, { timeout: 15_000 });
    expect(fake.callsTo('telemetry:results')).toEqual([]);
    fireEvent.click(activate);

    const banner = await screen.findByTestId('break-glass-banner');
    expect(banner.textContent).toMatch(/Every read is recorded in this tenant's ledger and in the provider ledger/);
    expect(within(banner).getByTestId('break-glass-time-left').textContent).toMatch(/^29:[0-9]{2}$/);
    expect(await screen.findByText('https://acme.example/health')).toBeTruthy();
    expect(fake.callsTo('telemetry:results')).toEqual([{ request_id: REQUEST_ID, limit: 100 }]);

    // The tenant revokes it: the next poll ends the view in place, and nothing more is read.
    state = { request: request({ state: 'revoked', ended_by: 'user:1', end_reason: 'INC-7 resolved' }), grant: null };
    const ended = await screen.findByTestId('break-glass-ended', {}, { timeout: 15_000 });
    expect(ended.textContent).toMatch(/Revoked by user:1: INC-7 resolved/);
    expect(screen.queryByTestId('break-glass-banner')).toBeNull();
    expect(screen.queryByText('https://acme.example/health')).toBeNull();
    expect(fake.callsTo('telemetry:results')).toHaveLength(1);
  }, 40_000);

  it('ends the view in place when a read finds the grant expired', async () => {
    let state: BreakGlassStatus = { request: request({ state: 'active' }), grant: { request_id: REQUEST_ID, tenant_id: TENANT_ID, scope: ['telemetry:read'], expires_at: new Date(Date.now() + 60_000).toISOString() } };
    renderAt('#/tenants/acme/break-glass', {
      'breakglass:list': () => ({ result: { items: [state] } }),
      'telemetry:summary': () => {
        state = { request: request({ state: 'expired' }), grant: null };
        return fail('grant_expired', 'This break-glass grant expired.');
      },
      'telemetry:results': () => fail('grant_expired', 'This break-glass grant expired.'),
    });
    expect(await screen.findByTestId('break-glass-banner')).toBeTruthy();
    const ended = await screen.findByTestId('break-glass-ended', {}, { timeout: 15_000 });
    expect(ended.textContent).toMatch(/expired/);
  }, 30_000);
});

describe('the Audit tab: an inclusion proof checked in the console', () => {
  const entry: LedgerEntryView = { seq: 7, ts: '2026-12-01T10:00:00.000Z', actor: 'operator:admin', event_type: 'TENANT_CREATED', tenant_id: TENANT_ID, details: {}, leaf_hash: 'a'.repeat(64) };
  const audit = { 'audit:list': () => ({ result: { items: [entry], next_cursor: null } }) } satisfies FakeHandlers;

  it('proves an entry and says what was checked', async () => {
    const { fake } = renderAt('#/tenants/acme/audit', {
      ...audit,
      'audit:prove': (sent) => ({ result: { seq: sent.seq, leaf_hash: sent.leaf_hash, tree_size: 9, root: 'b'.repeat(64), audit_path_length: 4, included: true, reason: null } }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Prove entry 7' }));
    expect((await screen.findByTestId('proof-result')).textContent).toMatch(/4 audit-path hashes lead to the root b{64} of the ledger's first 9 entries/);
    expect(screen.getByText('Entry 7 is in the ledger')).toBeTruthy();
    expect(fake.callsTo('audit:prove')).toEqual([{ seq: 7, leaf_hash: 'a'.repeat(64) }]);
  });

  it('says so, in red, when the proof does not check', async () => {
    renderAt('#/tenants/acme/audit', {
      ...audit,
      'audit:prove': () => ({ result: { seq: 7, leaf_hash: 'a'.repeat(64), tree_size: 9, root: 'b'.repeat(64), audit_path_length: 4, included: false, reason: 'the audit path does not lead to the root' } }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Prove entry 7' }));
    expect(await screen.findByText('Entry 7 is NOT proven')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/does not lead to the root/);
  });
});
