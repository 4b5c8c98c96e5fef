import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BRAND_DESIGN } from '../../contracts/branding';
import { App } from './app';

const brand = () => Promise.resolve({ source: 'tenant_host', tenant_slug: 'alpha', ...DEFAULT_BRAND_DESIGN, product_name: 'Alpha Cloud' });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const session = (permissions: string[]) => ({
  tenant: { id: '00000000-0000-4000-8000-000000000001', slug: 'alpha', name: 'Alpha' },
  user: { id: '00000000-0000-4000-8000-000000000002', user_name: 'ann@alpha.example', roles: ['auditor'] },
  permissions,
  csrf_token: 'c'.repeat(43),
  expires_at: '2026-12-06T01:00:00.000Z',
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** What the portal shows: the wall signed out; signed in, the screens the person's permissions open, and no others. */
describe('the portal app', () => {
  it('shows the branded wall with sign-in when no one is signed in', async () => {
    vi.stubGlobal('fetch', () => Promise.resolve(json(401, { error: { code: 'unauthorized', message: 'Not signed in to the portal.', details: {} } })));
    render(<App loadBrand={brand} />);
    expect(await screen.findByRole('link', { name: 'Sign in' })).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('signed in, offers only the screens the permissions open', async () => {
    vi.stubGlobal('fetch', (url: string) => Promise.resolve(url === '/portal/session' ? json(200, session(['audit:read', 'agents:read'])) : json(200, { items: [], next_cursor: null })));
    render(<App loadBrand={brand} />);
    const nav = await screen.findByRole('navigation', { name: 'Portal' });
    expect([...nav.querySelectorAll('button')].map((button) => button.textContent)).toEqual(['Ledger', 'Agents']);
    expect(screen.getByText(/ann@alpha\.example/)).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'Ledger' })).toBeTruthy();
  });
});
