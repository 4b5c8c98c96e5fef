import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_DESIGN, type TenantBranding } from '../../../contracts/branding';
import { type LicenseView } from '../../../contracts/license';
import { type Tenant } from '../../../contracts/tenants';
import { type FakeHandlers } from '../testing/fake-bridge';
import { appInfo, fail, operator, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

const acme: Tenant = {
  id: '00000000-0000-4000-8000-000000000001',
  slug: 'acme',
  name: 'Acme Corp',
  isolation_model: 'pooled',
  residency: 'eu',
  plan: 'gold',
  contact_email: null,
  state: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  counts: { agents: 0, users: 0, tests: 0 },
  quotas: { max_agents: 100, max_users: 50, max_tests: 200, storage_quota_mb: 10_240, api_rate_limit_rpm: 600 },
  handed_over_at: null,
};

const storedBrand: TenantBranding = { tenant_id: acme.id, ...DEFAULT_BRAND_DESIGN, product_name: 'Acme Portal', custom_domain: null, updated_at: '2026-11-02T00:00:00.000Z' };
const license: LicenseView = { licensee: 'Test MSP', tier: 'isolation', tenant_band: 200, tenants_used: 50, expires_at: '2030-01-01T00:00:00.000Z' };

function renderAt(at: string, handlers: FakeHandlers = {}) {
  window.history.replaceState(null, '', at);
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    'license:get': () => ({ result: license }),
    'tenants:get': () => ({ result: acme }),
    'branding:get': () => ({ result: storedBrand }),
    ...handlers,
  });
}

const preview = () => screen.getByTestId('brand-preview');
const previewColor = () => preview().style.getPropertyValue('--brand-primary');

describe('the Branding tab', () => {
  it('previews valid tokens live as custom properties, refuses an invalid one at its field and keeps it out of the preview', async () => {
    renderAt('#/tenants/acme/branding');
    const primary = await screen.findByLabelText('Primary color', {}, { timeout: 10_000 });
    expect(previewColor()).toBe('#1f4b99');
    expect(preview().textContent).toContain('Acme Portal');

    fireEvent.change(primary, { target: { value: '#AA0011' } });
    await waitFor(() => {
      expect(previewColor()).toBe('#aa0011');
    });

    // Not a #rrggbb: refused at the field, and the preview keeps the last good (saved) value.
    fireEvent.change(primary, { target: { value: 'red; background: url(x)' } });
    expect(await screen.findByText('A color as #rrggbb (six hex digits).')).toBeTruthy();
    expect(primary.getAttribute('aria-invalid')).toBe('true');
    expect(previewColor()).toBe('#1f4b99');

    fireEvent.change(screen.getByLabelText('Base text size (px)'), { target: { value: '40' } });
    expect(await screen.findByText('A whole number of pixels, 12 to 20.')).toBeTruthy();
    expect(preview().style.getPropertyValue('--brand-base-size')).toBe('16px');

    fireEvent.change(screen.getByLabelText('Product name'), { target: { value: 'Acme Sign-in' } });
    fireEvent.change(screen.getByLabelText('Login message'), { target: { value: 'Use your Acme account' } });
    await waitFor(() => {
      expect(preview().textContent).toContain('Acme Sign-in');
    });
    expect(preview().textContent).toContain('Use your Acme account');
  });

  it('sends the whole brand on save, never with a refused value; an API refusal is shown at its field', async () => {
    const { fake } = renderAt('#/tenants/acme/branding', {
      'branding:set': (request) => (request.logo_svg ? fail('invalid_branding', 'Invalid branding: logo_svg.', { field: 'logo_svg', issues: [{ path: 'logo_svg', message: 'script is not allowed in the logo' }] }) : { result: { ...storedBrand, product_name: request.product_name, updated_at: '2026-11-03T00:00:00.000Z' } }),
    });
    const primary = await screen.findByLabelText('Primary color', {}, { timeout: 10_000 });
    fireEvent.change(primary, { target: { value: 'blue' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save brand' }));
    expect(fake.callsTo('branding:set')).toHaveLength(0);

    fireEvent.change(primary, { target: { value: '#123456' } });
    fireEvent.change(screen.getByLabelText('Font family'), { target: { value: 'classic-serif' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save brand' }));
    await screen.findByText('Saved');
    expect(fake.callsTo('branding:set')[0]).toMatchObject({ tenant: acme.id, product_name: 'Acme Portal', colors: { primary: '#123456' }, typography: { font_family: 'classic-serif', base_size_px: 16 }, logo_svg: null });

    // A logo picked from a file: read here as SVG text, previewed as an <img>, refused by the control plane at the logo field.
    const svg = new File(['<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'], 'logo.svg', { type: 'image/svg+xml' });
    fireEvent.change(screen.getByLabelText('Logo (SVG or PNG)'), { target: { files: [svg] } });
    await waitFor(() => {
      expect(preview().querySelector('img')?.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save brand' }));
    expect(await screen.findByText('script is not allowed in the logo')).toBeTruthy();
    expect(screen.getByLabelText('Logo (SVG or PNG)').getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses a file that is neither SVG nor PNG at the logo field, without calling the console', async () => {
    const { fake } = renderAt('#/tenants/acme/branding');
    const input = await screen.findByLabelText('Logo (SVG or PNG)', {}, { timeout: 10_000 });
    fireEvent.change(input, { target: { files: [new File(['GIF89a...'], 'logo.gif', { type: 'image/gif' })] } });
    expect(await screen.findByText('The logo must be an SVG or PNG file.')).toBeTruthy();
    expect(fake.callsTo('branding:set')).toHaveLength(0);
  });
});

describe('the Usage tab and screen', () => {
  it("exports this tenant's usage for this month and names the saved file", async () => {
    const { fake } = renderAt('#/tenants/acme/usage', {
      'usage:export': () => ({ result: { saved: true, filename: 'bulkhead-usage-acme-2026-12-01-2026-12-31.csv', bytes: 512 } }),
      'usage:report': () => ({ result: { saved: false } }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Export CSV' }, { timeout: 10_000 }));
    expect(await screen.findByText('bulkhead-usage-acme-2026-12-01-2026-12-31.csv')).toBeTruthy();
    const [request] = fake.callsTo('usage:export') as { format: string; tenant: string; from: string; to: string }[];
    expect(request).toMatchObject({ format: 'csv', tenant: acme.id });
    expect(request?.from).toMatch(/^\d{4}-\d{2}-01$/);

    fireEvent.click(screen.getByRole('button', { name: 'PDF report' }));
    expect(await screen.findByText('Not saved: the save dialog was closed.')).toBeTruthy();
    expect(fake.callsTo('usage:report')[0]).toMatchObject({ tenant: acme.id });
  });

  it("shows the control plane's refusal of a custom day at that field; the provider screen exports every tenant", async () => {
    const { fake } = renderAt('#/usage', {
      'usage:export': () => fail('usage_period_too_long', 'A period is at most 366 days.', { parameter: 'to' }),
    });
    fireEvent.click(await screen.findByLabelText('Custom days', {}, { timeout: 10_000 }));
    fireEvent.change(screen.getByLabelText('First day'), { target: { value: '2024-01-01' } });
    fireEvent.change(screen.getByLabelText('Last day'), { target: { value: '2026-01-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(await screen.findByText('A period is at most 366 days.')).toBeTruthy();
    expect(screen.getByLabelText('Last day').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsTo('usage:export')[0]).toEqual({ format: 'json', from: '2024-01-01', to: '2026-01-01' });
    expect(screen.queryByRole('button', { name: 'PDF report' })).toBeNull();

    // A reversed period never leaves the console.
    fireEvent.change(screen.getByLabelText('First day'), { target: { value: '2026-02-01' } });
    fireEvent.change(screen.getByLabelText('Last day'), { target: { value: '2026-01-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText('The last day comes on or after the first.')).toBeTruthy();
    expect(fake.callsTo('usage:export')).toHaveLength(1);
  });
});

describe('the License screen', () => {
  it('shows the band used and the expiry, replaces the license from a file, and shows a refusal at the file field', async () => {
    let answer: 'refuse' | 'accept' = 'refuse';
    const { fake } = renderAt('#/license', {
      'license:replace': () => (answer === 'refuse' ? fail('license_invalid', 'The license signature does not verify.', { reason: 'license_invalid' }) : { result: { ...license, tenant_band: 1000, licensee: 'Grown MSP' } }),
    });
    expect(await screen.findByText('50 of 200 (25%)', {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole('meter', { name: 'Tenant band used' }).getAttribute('aria-valuenow')).toBe('50');

    const input = screen.getByLabelText('License file');
    fireEvent.change(input, { target: { files: [new File(['{"payload":{}}'], 'license.json', { type: 'application/json' })] } });
    expect(await screen.findByText('The license signature does not verify.')).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');

    answer = 'accept';
    fireEvent.change(input, { target: { files: [new File(['{"payload":{"ok":1}}'], 'license.json', { type: 'application/json' })] } });
    expect(await screen.findByText('License replaced')).toBeTruthy();
    expect(await screen.findByText('50 of 1,000 (5%)')).toBeTruthy();
    expect(fake.callsTo('license:replace')[1]).toEqual({ license: '{"payload":{"ok":1}}' });
  });

  it('is read-only for a billing viewer, who also has the provider Usage screen', async () => {
    renderAt('#/license', { 'session:status': () => ({ result: { ...signedIn, operator: { ...operator, roles: ['billing_viewer'] } } }) });
    expect(await screen.findByText('Provider admins replace the license file.', {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.queryByLabelText('License file')).toBeNull();
    expect(screen.getByRole('link', { name: 'Usage' })).toBeTruthy();
  });
});
