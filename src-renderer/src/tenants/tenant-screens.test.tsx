import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TenantFairness } from '../../../contracts/fairness';
import { type Tenant, type TenantSummary } from '../../../contracts/tenants';
import { type FakeHandlers } from '../testing/fake-bridge';
import { appInfo, fail, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

const uuid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;

/** `count` tenants: every 10th suspended, every 50th deleted, shed rates rising with the index. */
function summaries(count: number): TenantSummary[] {
  return Array.from({ length: count }, (_, index) => ({
    id: uuid(index),
    slug: `tenant-${String(index).padStart(5, '0')}`,
    name: `Tenant ${index}`,
    isolation_model: index % 3 === 0 ? 'siloed' : 'pooled',
    residency: index % 2 === 0 ? 'eu' : 'us',
    plan: index % 4 === 0 ? 'gold' : null,
    state: index % 50 === 49 ? 'deleted' : index % 10 === 9 ? 'suspended' : 'active',
    created_at: '2026-11-01T00:00:00.000Z',
    agents: index % 7,
    users: index % 11,
    results_this_month: index * 10,
    shed_rate: index === 0 ? null : index / count,
  }));
}

const acme: Tenant = {
  id: uuid(99_999),
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'pooled',
  residency: 'eu',
  plan: 'gold',
  contact_email: 'ops@acme.example',
  state: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  counts: { agents: 2, users: 3, tests: 4 },
  quotas: { max_agents: 100, max_users: 50, max_tests: 200, storage_quota_mb: 10_240, api_rate_limit_rpm: 600 },
  handed_over_at: null,
};

const fairness = (admitted: number, shed: number): TenantFairness => ({
  tenant_id: acme.id,
  slug: 'acme',
  ingest_rate_per_sec: 5000,
  ingest_burst: 10_000,
  query_budget: 600,
  admitted_calls: 1,
  admitted_units: admitted,
  shed_calls: 0,
  shed_units: shed,
  queue_depth: 0,
  latency_p50_ms: 12,
  latency_p99_ms: 48,
  live_replicas: 1,
  write_lane: 'cell:0',
});

/** The fake answers pages like the control plane: 200 first, then 1,000 at a time, by cursor. */
function renderAt(at: string, all: TenantSummary[], handlers: FakeHandlers = {}) {
  window.history.replaceState(null, '', at);
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    'license:get': () => ({ result: { licensee: 'Test', tier: 'isolation', tenant_band: 25_000, tenants_used: all.length, expires_at: '2030-01-01T00:00:00.000Z' } }),
    'tenants:summaries': (request) => {
      const start = request.cursor === undefined ? 0 : Number(request.cursor);
      const end = start + (request.limit ?? 500);
      return { result: { items: all.slice(start, end), next_cursor: end < all.length ? String(end) : null, month: '2026-11' } };
    },
    'tenants:get': () => ({ result: acme }),
    'fairness:get': () => ({ result: fairness(0, 0) }),
    ...handlers,
  });
}

const bodyRows = () => within(screen.getByTestId('tenant-table-scroll')).getAllByRole('row').filter((row) => row.getAttribute('data-slug') !== null);

describe('the tenants table', () => {
  // jsdom has no layout: the table's scroll box is given a screenful, as a window would.
  const sizes = { clientHeight: 600, clientWidth: 1000 } as const;
  const original = Object.fromEntries(Object.keys(sizes).map((key) => [key, Object.getOwnPropertyDescriptor(Element.prototype, key)]));
  beforeAll(() => {
    for (const [key, value] of Object.entries(sizes)) Object.defineProperty(Element.prototype, key, { configurable: true, get: () => value });
  });
  afterAll(() => {
    for (const [key, descriptor] of Object.entries(original)) if (descriptor) Object.defineProperty(Element.prototype, key, descriptor);
  });

  it('loads 10,000 tenants page by page, hides deleted ones, and renders only the rows in view', async () => {
    const { fake } = renderAt('#/tenants', summaries(10_000));
    await waitFor(() => {
      expect(screen.getByTestId('tenant-count').textContent).toBe('9,800 of 10,000 tenants');
    }, { timeout: 15_000 });
    expect(fake.callsTo('tenants:summaries')).toHaveLength(11);
    expect(fake.callsTo('tenants:summaries')[0]).toEqual({ limit: 200 });
    const rows = bodyRows();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]?.textContent).toContain('tenant-00000');
    expect(rows.some((row) => row.getAttribute('data-slug') === 'tenant-00049')).toBe(false);
  }, 30_000);

  it('takes its view from the URL and writes every change back: sort, state, search', async () => {
    renderAt('#/tenants?sort=-shed', summaries(300));
    await waitFor(() => {
      expect(bodyRows()[0]?.getAttribute('data-slug')).toBe('tenant-00298');
    });
    expect(screen.getByRole('columnheader', { name: /Shed rate/ }).getAttribute('aria-sort')).toBe('descending');

    fireEvent.click(within(screen.getByRole('columnheader', { name: /Agents/ })).getByRole('button'));
    await waitFor(() => {
      expect(window.location.hash).toMatch(/sort=-?agents/);
    });

    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'deleted' } });
    await waitFor(() => {
      expect(window.location.hash).toContain('state=deleted');
    });
    await waitFor(() => {
      expect(bodyRows().every((row) => row.textContent.includes('deleted'))).toBe(true);
    });
    expect(screen.getByTestId('tenant-count').textContent).toBe('6 of 300 tenants');

    fireEvent.change(screen.getByLabelText('Search tenants'), { target: { value: 'tenant-00049' } });
    await waitFor(() => {
      expect(window.location.hash).toContain('q=tenant-00049');
    });
    await waitFor(() => {
      expect(bodyRows().map((row) => row.getAttribute('data-slug'))).toEqual(['tenant-00049']);
    });
  });

  it('shows a figure missing as a dash, and a slug as a link to its page', async () => {
    renderAt('#/tenants', summaries(3));
    const link = await screen.findByRole('link', { name: 'tenant-00000' });
    expect(link.getAttribute('href')).toBe('#/tenants/tenant-00000');
    expect(bodyRows()[0]?.textContent).toContain('—');
  });
});

describe("a tenant's page", () => {
  it('has a URL per tab and shows plan, contact and residency on Overview', async () => {
    renderAt('#/tenants/acme', []);
    expect(await screen.findByRole('heading', { name: /Acme Corp/ })).toBeTruthy();
    const tabs = within(screen.getByRole('navigation', { name: 'Tenant sections' }));
    expect(tabs.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    expect(tabs.getByRole('link', { name: 'Quotas & Fairness' }).getAttribute('href')).toBe('#/tenants/acme/quotas');
    expect(tabs.getByRole('link', { name: 'Identity' }).getAttribute('href')).toBe('#/tenants/acme/identity');
    expect(tabs.getByRole('link', { name: 'Audit' }).getAttribute('href')).toBe('#/tenants/acme/audit');
    expect(screen.getByLabelText<HTMLInputElement>('Plan').value).toBe('gold');
    expect(screen.getByLabelText<HTMLInputElement>('Contact email').value).toBe('ops@acme.example');
    expect(screen.getByText('eu')).toBeTruthy();
  });

  it('shows a refused contact email at its field, and clears it when the field is edited', async () => {
    const { fake } = renderAt('#/tenants/acme', [], { 'tenants:update': () => fail('invalid_request', 'bad', { issues: [{ path: 'contact_email', message: 'Invalid email address' }] }) });
    const contact = await screen.findByLabelText('Contact email');
    fireEvent.change(contact, { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save plan and contact' }));
    expect((await screen.findByText('Invalid email address')).className).toBe('field-error');
    expect(contact.getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsTo('tenants:update')).toEqual([{ tenant: acme.id, name: 'Acme Corp', plan: 'gold', contact_email: 'nope' }]);
    fireEvent.change(contact, { target: { value: 'ops@acme.example' } });
    expect(screen.queryByText('Invalid email address')).toBeNull();
  });

  it('Quotas & Fairness: every refused limit at its field, and the live figures from the polled counters', async () => {
    let reading = 0;
    renderAt('#/tenants/acme/quotas', [], {
      'quotas:set': () =>
        fail('invalid_request', 'bad', {
          issues: [
            { path: 'max_agents', message: 'Too small: expected number to be >=0' },
            { path: 'storage_quota_mb', message: 'Invalid input: expected number, received NaN' },
          ],
        }),
      'fairness:get': () => {
        reading += 1;
        return { result: fairness(reading * 500, reading * 100) };
      },
    });
    const form = within(await screen.findByRole('form', { name: 'Quotas' }));
    fireEvent.change(form.getByLabelText('Agents'), { target: { value: '-1' } });
    fireEvent.change(form.getByLabelText('Storage (MB)'), { target: { value: '' } });
    fireEvent.click(form.getByRole('button', { name: 'Save quotas' }));
    expect(await form.findByText('Too small: expected number to be >=0')).toBeTruthy();
    expect(form.getByLabelText('Agents').getAttribute('aria-invalid')).toBe('true');
    expect(form.getByLabelText('Storage (MB)').getAttribute('aria-invalid')).toBe('true');
    expect(form.getByLabelText('Users').getAttribute('aria-invalid')).toBeNull();
    // Each reading adds 500 admitted and 100 shed units, about a second apart (real time, so not exactly).
    const figure = (name: string) => Number(new RegExp(`${name}(\\d+) units/s`).exec(screen.getByTestId('fairness-figures').textContent)?.[1] ?? Number.NaN);
    await waitFor(
      () => {
        expect(figure('Admitted')).toBeGreaterThan(300);
      },
      { timeout: 4000 },
    );
    expect(figure('Admitted')).toBeLessThan(700);
    expect(Math.abs(figure('Shed') * 5 - figure('Admitted'))).toBeLessThanOrEqual(10);
    expect(screen.getByTestId('fairness-figures').textContent).toContain('48.0 ms');
    expect(screen.getByRole('img', { name: /Admitted and shed units per second/ })).toBeTruthy();
  });

  it('Identity: the client secret is write-only, and a minted token is shown once with a copy button', async () => {
    const { fake } = renderAt('#/tenants/acme/identity', [], {
      'identity:set-oidc': (request) => ({ result: { issuer: request.issuer, client_id: request.client_id, claim: request.claim, groups_claim: request.groups_claim, updated_at: '2026-11-01T00:00:00.000Z', owner: 'provider' } }),
      'tenants:admin-token': (request) => ({ result: { id: uuid(5), token: 'bht_minted-once', expires_at: '2026-11-02T00:00:00.000Z', tenant_id: acme.id, kind: 'admin', name: request.name ?? 'token' } }),
    });
    const oidc = within(await screen.findByRole('form', { name: 'OIDC settings' }));
    fireEvent.change(oidc.getByLabelText('Issuer'), { target: { value: 'https://idp.acme.example' } });
    fireEvent.change(oidc.getByLabelText('Client ID'), { target: { value: 'bulkhead' } });
    const secret = oidc.getByLabelText<HTMLInputElement>('Client secret');
    expect(secret.type).toBe('password');
    fireEvent.change(secret, { target: { value: 's3cret-value' } });
    fireEvent.click(oidc.getByRole('button', { name: 'Save OIDC settings' }));
    expect(await screen.findByText('OIDC settings saved')).toBeTruthy();
    expect(secret.value).toBe('');
    expect(document.body.textContent).not.toContain('s3cret-value');
    expect(fake.callsTo('identity:set-oidc')).toEqual([{ tenant: acme.id, issuer: 'https://idp.acme.example', client_id: 'bulkhead', client_secret: 's3cret-value', claim: 'tenant', groups_claim: 'groups' }]);

    fireEvent.click(screen.getByRole('button', { name: 'Mint admin token' }));
    expect((await screen.findByTestId('admin-token')).textContent).toBe('bht_minted-once');
    expect(screen.getByText('Shown only once')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy token' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    // react-query tells its observers on the next tick.
    await waitFor(() => {
      expect(screen.queryByTestId('admin-token')).toBeNull();
    });
    expect(document.body.textContent).not.toContain('bht_minted-once');
  });

  it("Audit: the tenant's entries, filtered by event type in the URL, and the ledger verified", async () => {
    const entry = (seq: number, event: string) => ({ seq, ts: '2026-11-01T10:00:00.000Z', actor: 'operator:admin', event_type: event, tenant_id: acme.id, details: { seq }, leaf_hash: 'ab'.repeat(32) });
    const { fake } = renderAt('#/tenants/acme/audit', [], {
      'audit:list': (request) => ({ result: { items: request.event_type === 'QUOTA_CHANGED' ? [entry(3, 'QUOTA_CHANGED')] : [entry(3, 'QUOTA_CHANGED'), entry(1, 'TENANT_CREATED')], next_cursor: null } }),
      'audit:verify': () => ({ result: { ok: true, size: 3, root: 'cd'.repeat(32) } }),
    });
    expect(await screen.findByText('TENANT_CREATED')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Event type'), { target: { value: 'quota_changed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => {
      expect(window.location.hash).toBe('#/tenants/acme/audit?event=QUOTA_CHANGED');
    });
    await waitFor(() => {
      expect(screen.queryByText('TENANT_CREATED')).toBeNull();
    });
    expect(fake.callsTo('audit:list').at(-1)).toEqual({ tenant: acme.id, limit: 200, event_type: 'QUOTA_CHANGED' });
    fireEvent.click(screen.getByRole('button', { name: 'Verify provider ledger' }));
    expect((await screen.findByText('Ledger verified')).closest('.notice')?.className).toContain('notice-success');
  });

  it('says so for a tenant that does not exist, with a way back', async () => {
    renderAt('#/tenants/nobody', [], { 'tenants:get': () => fail('not_found', 'No tenant "nobody".') });
    expect(await screen.findByText('There is no tenant nobody.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to tenants' }).getAttribute('href')).toBe('#/tenants');
  });
});
