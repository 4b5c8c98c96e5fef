import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type Tenant, type TenantSummary } from '../../../contracts/tenants';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import { type FakeHandlers } from '../testing/fake-bridge';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const tenant: Tenant = {
  id: '6b0c7a51-3c1e-4f8e-9d35-0d5b0f1a2c3d',
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'siloed',
  residency: 'eu',
  plan: null,
  contact_email: null,
  state: 'active',
  created_at: '2025-01-01T00:00:00.000Z',
  counts: { agents: 0, users: 0, tests: 0 },
  quotas: { max_agents: 1, max_users: 1, max_tests: 1, storage_quota_mb: 1, api_rate_limit_rpm: 1 },
  handed_over_at: null,
};

const summary: TenantSummary = {
  id: tenant.id,
  slug: tenant.slug,
  name: tenant.name,
  isolation_model: tenant.isolation_model,
  residency: tenant.residency,
  plan: tenant.plan,
  state: tenant.state,
  created_at: tenant.created_at,
  agents: 0,
  users: 0,
  results_this_month: 0,
  shed_rate: null,
};

function renderSignedIn(at: string, handlers: FakeHandlers = {}) {
  window.history.replaceState(null, '', at);
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    'tenants:summaries': () => ({ result: { items: [summary], next_cursor: null, month: '2025-01' } }),
    'tenants:get': () => ({ result: tenant }),
    'license:get': () => ({ result: { licensee: 'Test', tier: 'isolation', tenant_band: 25, tenants_used: 1, expires_at: '2030-01-01T00:00:00.000Z' } }),
    ...handlers,
  });
}

function nav() {
  return within(screen.getByRole('navigation', { name: 'Console sections' }));
}

describe('routes', () => {
  it('opens the screen named in the URL, lazily loaded', async () => {
    renderSignedIn('#/audit');
    expect(await screen.findByRole('heading', { name: 'Audit' })).toBeTruthy();
    expect(nav().getByRole('link', { name: 'Audit' }).getAttribute('aria-current')).toBe('page');
    expect(document.title).toBe('Audit · Bulkhead');
  });

  it('lands on Overview from #/ and rewrites the URL without adding a history entry', async () => {
    renderSignedIn('#/');
    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
    await waitFor(() => {
      expect(window.location.hash).toBe('#/overview');
    });
  });

  it('moves between screens with the nav links and puts focus on the new screen', async () => {
    renderSignedIn('#/overview');
    await screen.findByRole('heading', { name: 'Overview' });
    const link = nav().getByRole('link', { name: 'Tenants' });
    expect(link.getAttribute('href')).toBe('#/tenants');

    act(() => {
      window.location.hash = link.getAttribute('href') ?? '';
    });
    expect(await screen.findByRole('heading', { name: 'Tenants' })).toBeTruthy();
    await waitFor(() => {
      expect(document.activeElement).toBe(screen.getByRole('main'));
    });
    expect(nav().getByRole('link', { name: 'Tenants' }).getAttribute('aria-current')).toBe('page');
  });

  it('says so for an address that is no screen, with a way back', async () => {
    renderSignedIn('#/nowhere');
    expect(await screen.findByRole('heading', { name: 'Not found' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to Overview' }).getAttribute('href')).toBe('#/overview');
  });
});

describe('panels and errors', () => {
  it('closes a lifecycle panel with Escape and gives focus back to its button', async () => {
    renderSignedIn('#/tenants/acme');
    const suspend = await screen.findByRole('button', { name: 'Suspend acme' });
    suspend.focus();
    fireEvent.click(suspend);
    const reason = screen.getByLabelText('Reason');
    expect(document.activeElement).toBe(reason);

    fireEvent.keyDown(reason, { key: 'Escape' });

    expect(screen.queryByLabelText('Reason')).toBeNull();
    expect(document.activeElement).toBe(suspend);
  });

  it('drops a refusal once its panel is closed, and when its input changes', async () => {
    renderSignedIn('#/tenants/acme', { 'tenants:suspend': () => fail('conflict', 'The tenant is busy.') });
    fireEvent.click(await screen.findByRole('button', { name: 'Suspend acme' }));
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'invoice overdue' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm suspend' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The tenant is busy.');

    // Editing the reason: the refusal was about the old one.
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'invoice overdue, second notice' } });
    expect(screen.queryByRole('alert')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Confirm suspend' }));
    await screen.findByRole('alert');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alert')).toBeNull();

    // Opened again: a fresh panel, no stale error and no stale reason.
    fireEvent.click(screen.getByRole('button', { name: 'Suspend acme' }));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>('Reason').value).toBe('');
  });

  it('clears a refused creation when the slug is edited', async () => {
    renderSignedIn('#/tenants', { 'tenants:create': () => fail('conflict', 'The slug acme is taken.') });
    const form = within(await screen.findByRole('form', { name: 'New tenant' }));
    fireEvent.change(form.getByLabelText('Slug'), { target: { value: 'acme' } });
    fireEvent.change(form.getByLabelText('Name'), { target: { value: 'Acme again' } });
    fireEvent.click(form.getByRole('button', { name: 'Create tenant' }));
    expect((await form.findByRole('alert')).textContent).toContain('taken');

    fireEvent.change(form.getByLabelText('Slug'), { target: { value: 'acme-2' } });
    expect(form.queryByRole('alert')).toBeNull();
  });

  it('styles destructive actions red and restoring ones green', async () => {
    renderSignedIn('#/tenants/acme');
    expect((await screen.findByRole('button', { name: 'Delete acme' })).className).toContain('button-danger-outline');
    fireEvent.click(screen.getByRole('button', { name: 'Delete acme' }));
    expect(screen.getByRole('button', { name: 'Delete permanently' }).className).toContain('button-danger');
    fireEvent.click(screen.getByRole('button', { name: 'Suspend acme' }));
    expect(screen.getByRole('button', { name: 'Confirm suspend' }).className).toContain('button-danger');
  });

  it('shows a verified ledger as a success, not a warning', async () => {
    renderSignedIn('#/audit', { 'audit:verify': () => ({ result: { ok: true, size: 3, root: 'ab'.repeat(32) } }) });
    fireEvent.click(await screen.findByRole('button', { name: 'Verify provider ledger' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toContain('Ledger verified');
    expect(status.className).toContain('notice-success');
  });

  it('lets a failed sign-out be dismissed', async () => {
    renderSignedIn('#/overview', { 'session:logout': () => fail('internal_error', 'The session store is busy.') });
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await screen.findByRole('alert');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    // react-query tells its observers on the next tick.
    await waitFor(() => {
      expect(screen.queryByRole('alert')).toBeNull();
    });
  });
});
