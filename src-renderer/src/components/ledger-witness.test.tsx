import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignedTreeHeadView, WitnessView } from '../../../contracts/audit';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import type { FakeHandlers } from '../testing/fake-bridge';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const head = (tree_size: number, digit: string): SignedTreeHeadView => ({ ledger: 'provider', tree_size, root_hash: digit.repeat(64), timestamp: Date.parse('2026-12-06T03:00:00.000Z'), key_id: 'e'.repeat(64), signature: `${'A'.repeat(86)}==` });
const keptAt = '2026-12-06T02:00:00.000Z';
const witnessed: WitnessView = { ledger: 'provider', state: 'witnessed', kept: { head: head(12, 'a'), kept_at: keptAt }, seen: head(15, 'b'), message: null, recorded: null, record_error: null };
const rewritten: WitnessView = {
  ledger: 'provider',
  state: 'rewritten',
  kept: { head: head(15, 'b'), kept_at: keptAt },
  seen: head(16, 'c'),
  message: 'History rewritten: ledger provider at 16 entries does not extend the head seen at 15 entries (the consistency proof fails).',
  recorded: { ledger: 'provider', seq: 17 },
  record_error: null,
};

function renderAt(at: string, handlers: FakeHandlers) {
  window.history.replaceState(null, '', at);
  return renderConsole({ 'app:info': () => ({ result: appInfo('ready') }), 'session:status': () => ({ result: signedIn }), 'license:get': () => ({ result: { licensee: 'Test', tier: 'isolation', tenant_band: 25, tenants_used: 1, expires_at: '2030-01-01T00:00:00.000Z' } }), ...handlers });
}

describe('the ledger witness on the Audit screen', () => {
  it('says the head was witnessed on load, and loudly that history was rewritten on the next check, with both heads', async () => {
    const answers = [witnessed, rewritten];
    const { fake } = renderAt('#/audit', { 'audit:witness': () => ({ result: answers.shift() ?? rewritten }) });
    expect(await screen.findByText(`Witnessed: tree 15, consistent with the head kept at ${new Date(keptAt).toLocaleString()}`)).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Check the head again' }));
    const alarm = await screen.findByRole('alert');
    expect(within(alarm).getByText('History rewritten')).toBeTruthy();
    expect(alarm.textContent).toContain('does not extend the head seen at 15 entries');
    expect(alarm.textContent).toContain('The kept head is not replaced');
    expect(within(alarm).getByLabelText(/^Kept head/).textContent).toContain('b'.repeat(64));
    expect(within(alarm).getByLabelText('New head').textContent).toContain('c'.repeat(64));
    expect(screen.getByTestId('witness-recorded').textContent).toBe('Recorded by the control plane as WITNESS_FAILED, entry 17 of the provider ledger.');
    expect(fake.callsTo('audit:witness')).toHaveLength(2);
  });

  it('is on the tenant Audit tab too, and a check that could not run is a warning, not the alarm', async () => {
    renderAt('#/tenants/acme/audit', {
      'tenants:get': () => ({ result: { id: '00000000-0000-4000-8000-000000000001', slug: 'acme', name: 'Acme', isolation_model: 'pooled', residency: 'eu', plan: null, contact_email: null, state: 'active', created_at: '2026-11-01T00:00:00.000Z', counts: { agents: 0, users: 0, tests: 0 }, quotas: { max_agents: 1, max_users: 1, max_tests: 1, storage_quota_mb: 1, api_rate_limit_rpm: 1 }, handed_over_at: null } }),
      'audit:list': () => ({ result: { items: [], next_cursor: null } }),
      'audit:witness': () => fail('control_plane_unreachable', 'The control plane cannot be reached.'),
    });
    expect(await screen.findByText('The ledger head could not be witnessed')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says a first head is trusted from now on, and the recording error when the control plane refused it', async () => {
    const answers: WitnessView[] = [{ ...witnessed, state: 'first', kept: null }, { ...rewritten, recorded: null, record_error: 'forbidden: no' }];
    renderAt('#/audit', { 'audit:witness': () => ({ result: answers.shift() ?? rewritten }) });
    expect(await screen.findByText('Witnessing from now on: tree 15')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Check the head again' }));
    expect((await screen.findByTestId('witness-recorded')).textContent).toBe('Not recorded by the control plane: forbidden: no.');
  });
});
