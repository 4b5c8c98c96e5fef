import { describe, expect, it } from 'vitest';
import { customDomain, isHostName, normalizeHost, tenantHostSlug, underBaseDomain } from './host-names';

describe('host names for branding', () => {
  it('normalizes what browsers send: case, one trailing dot, a port', () => {
    expect(normalizeHost('Portal.Acme.Example')).toBe('portal.acme.example');
    expect(normalizeHost('portal.acme.example.')).toBe('portal.acme.example');
    expect(normalizeHost('portal.acme.example:8443')).toBe('portal.acme.example');
    expect(normalizeHost('PORTAL.acme.example.:443')).toBe('portal.acme.example');
    expect(normalizeHost('xn--caf-dma.example')).toBe('xn--caf-dma.example');
  });

  it.each(['', 'localhost', '127.0.0.1', '[::1]', '[::1]:443', 'acme.example..', 'acme..example', '-acme.example', 'acme-.example', 'ac_me.example', 'acme.example:65536', 'acme.example:', ' acme.example', 'acme.example/', 'a@acme.example', 'café.example', `${'a'.repeat(64)}.example`, `${'a.'.repeat(127)}example`, 'a'.repeat(400)])('resolves %j to nothing', (host) => {
    expect(normalizeHost(host)).toBeNull();
  });

  it('takes a custom domain in normal form, never the base domain or a name under it', () => {
    expect(customDomain('Portal.Acme.Example.', 'tenants.example.test')).toEqual({ domain: 'portal.acme.example' });
    expect(customDomain('acme.tenants.example.test', 'tenants.example.test')).toMatchObject({ problem: expect.stringMatching(/base domain/) as unknown });
    expect(customDomain('tenants.example.test', 'tenants.example.test')).toMatchObject({ problem: expect.stringMatching(/base domain/) as unknown });
    // A name that merely ends like the base domain is not under it.
    expect(customDomain('eviltenants.example.test', 'tenants.example.test')).toEqual({ domain: 'eviltenants.example.test' });
    expect(customDomain('10.0.0.1', null)).toMatchObject({ problem: expect.any(String) as unknown });
    expect(customDomain('acme.example:443', null)).toMatchObject({ problem: expect.any(String) as unknown });
  });

  it('reads a tenant slug from <slug>.<base domain> only, one label deep', () => {
    expect(tenantHostSlug('acme.tenants.example.test', 'tenants.example.test')).toBe('acme');
    expect(tenantHostSlug('x.acme.tenants.example.test', 'tenants.example.test')).toBeNull();
    expect(tenantHostSlug('tenants.example.test', 'tenants.example.test')).toBeNull();
    expect(tenantHostSlug('acmetenants.example.test', 'tenants.example.test')).toBeNull();
    expect(tenantHostSlug('acme.tenants.example.test', null)).toBeNull();
    expect(underBaseDomain('acme.tenants.example.test', 'tenants.example.test')).toBe(true);
    expect(underBaseDomain('acmetenants.example.test', 'tenants.example.test')).toBe(false);
    expect(isHostName('tenants.example.test')).toBe(true);
  });
});
