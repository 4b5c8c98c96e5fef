import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_DESIGN, type ResolvedBrand } from '../../contracts/branding';
import { imageUrl } from './brand';
import { SignInWall } from './sign-in-wall';

afterEach(() => {
  cleanup();
  document.documentElement.removeAttribute('style');
});

const brand = (overrides: Partial<ResolvedBrand>): ResolvedBrand => ({ source: 'tenant_host', tenant_slug: 'alpha', ...DEFAULT_BRAND_DESIGN, ...overrides });
const property = (name: string) => document.documentElement.style.getPropertyValue(name);

describe('the portal sign-in wall', () => {
  it("shows the host's brand: name, message and logo, and its tokens as custom properties on the page", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"/>';
    render(<SignInWall loadBrand={() => Promise.resolve(brand({ product_name: 'Alpha Cloud', login_message: 'Welcome.\nSign in.', logo_svg: svg, colors: { ...DEFAULT_BRAND_DESIGN.colors, primary: '#0B6E4F' } }))} />);
    expect(await screen.findByRole('heading', { name: 'Alpha Cloud' })).toBeTruthy();
    expect(screen.getByText(/Welcome\./)).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Alpha Cloud logo' }).getAttribute('src')).toBe(imageUrl(svg, null));
    expect(property('--brand-primary')).toBe('#0b6e4f');
    expect(property('--brand-base-size')).toBe('16px');
    expect(document.title).toBe('Sign in · Alpha Cloud');
  });

  it('renders what a tenant typed as text, never as markup', async () => {
    render(<SignInWall loadBrand={() => Promise.resolve(brand({ product_name: '<img src=x onerror=alert(1)>', login_message: '<b>bold</b>' }))} />);
    expect(await screen.findByRole('heading', { name: '<img src=x onerror=alert(1)>' })).toBeTruthy();
    expect(screen.getByText('<b>bold</b>')).toBeTruthy();
    expect(document.querySelector('img, b')).toBeNull();
  });

  it('shows the default brand when the answer is not a brand, fails, or carries a token that is not one', async () => {
    for (const loadBrand of [() => Promise.resolve({ product_name: 'Half a brand' }), () => Promise.reject(new Error('offline'))]) {
      render(<SignInWall loadBrand={loadBrand} />);
      expect(await screen.findByRole('heading', { name: 'Bulkhead' })).toBeTruthy();
      cleanup();
    }
    render(<SignInWall loadBrand={() => Promise.resolve(brand({ product_name: 'Tampered', colors: { ...DEFAULT_BRAND_DESIGN.colors, primary: 'url(https://evil.example/x)' } }))} />);
    expect(await screen.findByRole('heading', { name: 'Bulkhead' })).toBeTruthy();
    expect(property('--brand-primary')).toBe(DEFAULT_BRAND_DESIGN.colors.primary);
  });

  it("offers sign-in at the tenant's IdP on a tenant's host only, and shows a failed sign-in's code as text", async () => {
    render(<SignInWall loadBrand={() => Promise.resolve(brand({}))} signInError="<b>oidc_state_mismatch</b>" />);
    expect((await screen.findByRole('link', { name: 'Sign in' })).getAttribute('href')).toBe('/portal/login');
    expect(screen.getByRole('alert').textContent).toBe('Sign-in failed (<b>oidc_state_mismatch</b>).');
    expect(document.querySelector('b')).toBeNull();
    cleanup();
    render(<SignInWall loadBrand={() => Promise.resolve(brand({ source: 'default', tenant_slug: null }))} />);
    expect(await screen.findByText('This address does not belong to an organization.')).toBeTruthy();
    expect(screen.queryByRole('link')).toBeNull();
  });
});
