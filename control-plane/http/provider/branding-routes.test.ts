import fc from 'fast-check';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_DESIGN, ResolvedBrand, TenantBranding, type BrandDesign } from '../../../contracts/branding';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';

type Headers = { authorization: string };

const BASE = 'tenants.example.test';

/** A real PNG of `width`×`height` (pngjs writes it; the control plane's own checker reads it). */
export function pngBase64(width: number, height: number, noise = false): string {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = noise ? Math.floor(Math.random() * 256) : i % 4 === 3 ? 255 : (i * 7) % 256;
  return PNG.sync.write(png).toString('base64');
}

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"';
const goodSvg = `<svg ${SVG_NS} viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="#112233"/></linearGradient></defs><rect width="10" height="10" fill="url(#g)"/><title>Acme</title></svg>`;

/**
 * The injection corpus: each body (on top of a valid brand) must be refused with 400
 * invalid_branding naming `field`. CSS reaches nothing (colors and typography are tokens), markup
 * reaches nothing (text is plain, SVG passes the profile or is refused), images are checked.
 */
const corpus: [string, Record<string, unknown>, string][] = [
  // CSS through the color tokens.
  ['css url( in a color', { colors: { primary: 'url(https://evil.example/x.png)' } }, 'colors.primary'],
  ['css expression( in a color', { colors: { secondary: 'expression(alert(1))' } }, 'colors.secondary'],
  ['@import in a color', { colors: { accent: '@import "https://evil.example/x.css"' } }, 'colors.accent'],
  ['</style> in a color', { colors: { background: '#fff</style><script>alert(1)</script>' } }, 'colors.background'],
  ['escaped unicode \\75rl( in a color', { colors: { text: '\\75rl(https://evil.example)' } }, 'colors.text'],
  ['a declaration after a color', { colors: { primary: '#112233;background:url(x)' } }, 'colors.primary'],
  ['a named color', { colors: { primary: 'red' } }, 'colors.primary'],
  ['a short color', { colors: { primary: '#fff' } }, 'colors.primary'],
  ['a color with alpha', { colors: { primary: '#11223344' } }, 'colors.primary'],
  ['a color function', { colors: { primary: 'rgb(1,2,3)' } }, 'colors.primary'],
  // CSS through typography.
  ['a font name outside the allowlist', { typography: { font_family: 'Comic Sans MS' } }, 'typography.font_family'],
  ['a font stack with url(', { typography: { font_family: 'x", url(https://evil.example/f.woff)' } }, 'typography.font_family'],
  ['</style> as a font', { typography: { font_family: '</style>' } }, 'typography.font_family'],
  ['a base size too small', { typography: { base_size_px: 11 } }, 'typography.base_size_px'],
  ['a base size too large', { typography: { base_size_px: 21 } }, 'typography.base_size_px'],
  ['a fractional base size', { typography: { base_size_px: 16.5 } }, 'typography.base_size_px'],
  ['a base size with CSS', { typography: { base_size_px: '16px;background:url(x)' } }, 'typography.base_size_px'],
  // Plain text that looks like markup or CSS.
  ['</style> in the product name', { product_name: 'Acme</style><script>alert(1)</script>' }, 'product_name'],
  ['url( in the product name', { product_name: 'Acme url(https://evil.example)' }, 'product_name'],
  ['escaped unicode in the product name', { product_name: 'Acme \\75rl(x)' }, 'product_name'],
  ['full-width url( in the product name', { product_name: 'Acme ｕｒｌ(x)' }, 'product_name'],
  ['a bidi override in the product name', { product_name: 'Acme\u202egnp.exe' }, 'product_name'],
  ['a product name too long', { product_name: 'A'.repeat(65) }, 'product_name'],
  ['markup in the login message', { login_message: 'Welcome <img src=x onerror=alert(1)>' }, 'login_message'],
  ['@import in the login message', { login_message: '@import url(https://evil.example/x.css)' }, 'login_message'],
  ['expression( in the login message', { login_message: 'width: expression(alert(1))' }, 'login_message'],
  ['a javascript: URI in the login message', { login_message: 'javascript:alert(1)' }, 'login_message'],
  ['a login message too long', { login_message: 'a'.repeat(501) }, 'login_message'],
  // SVG outside the profile.
  ['an SVG <script>', { logo_svg: `<svg ${SVG_NS}><script>alert(1)</script></svg>` }, 'logo_svg'],
  ['an SVG onload', { logo_svg: `<svg ${SVG_NS} onload="alert(1)"><rect width="1" height="1"/></svg>` }, 'logo_svg'],
  ['an SVG remote xlink:href', { logo_svg: `<svg ${SVG_NS} ${XLINK}><use xlink:href="https://evil.example/sprite.svg#a"/></svg>` }, 'logo_svg'],
  ['an SVG javascript: href', { logo_svg: `<svg ${SVG_NS} ${XLINK}><a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>` }, 'logo_svg'],
  ['an SVG foreignObject', { logo_svg: `<svg ${SVG_NS}><foreignObject><div>x</div></foreignObject></svg>` }, 'logo_svg'],
  ['an SVG <style> with @import', { logo_svg: `<svg ${SVG_NS}><style>@import url(https://evil.example/x.css);</style></svg>` }, 'logo_svg'],
  ['an SVG style attribute with url(', { logo_svg: `<svg ${SVG_NS}><rect style="fill:url(https://evil.example/p)" width="1" height="1"/></svg>` }, 'logo_svg'],
  ['an SVG fill with a remote url(', { logo_svg: `<svg ${SVG_NS}><rect fill="url(https://evil.example/p#g)" width="1" height="1"/></svg>` }, 'logo_svg'],
  ['an SVG fill with an escaped url(', { logo_svg: `<svg ${SVG_NS}><rect fill="\\75rl(https://evil.example/p)" width="1" height="1"/></svg>` }, 'logo_svg'],
  ['an SVG remote image', { logo_svg: `<svg ${SVG_NS}><image href="https://evil.example/tracker.png" width="1" height="1"/></svg>` }, 'logo_svg'],
  ['an SVG animation rewriting an href', { logo_svg: `<svg ${SVG_NS}><animate attributeName="href" to="javascript:alert(1)"/></svg>` }, 'logo_svg'],
  ['an SVG with an entity declaration', { logo_svg: `<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg ${SVG_NS}><text>&x;</text></svg>` }, 'logo_svg'],
  ['markup that is not an SVG', { logo_svg: '<div>not an svg</div>' }, 'logo_svg'],
  ['an SVG logo too large', { logo_svg: `<svg ${SVG_NS}><title>${'a'.repeat(70_000)}</title></svg>` }, 'logo_svg'],
  ['an SVG favicon with a script', { favicon_svg: `<svg ${SVG_NS}><script>alert(1)</script></svg>` }, 'favicon_svg'],
  ['an SVG favicon too large', { favicon_svg: `<svg ${SVG_NS}><title>${'a'.repeat(9000)}</title></svg>` }, 'favicon_svg'],
  // PNG checks.
  ['a GIF sent as a PNG (wrong magic bytes)', { logo_png_base64: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1').toString('base64') }, 'logo_png_base64'],
  ['an SVG sent as a PNG', { logo_png_base64: Buffer.from(`<svg ${SVG_NS}/>`).toString('base64') }, 'logo_png_base64'],
  ['a PNG too large in dimensions', { logo_png_base64: pngBase64(1500, 10) }, 'logo_png_base64'],
  ['a PNG favicon too large in dimensions', { favicon_png_base64: pngBase64(300, 300) }, 'favicon_png_base64'],
  ['a PNG logo over 256 KiB', { logo_png_base64: pngBase64(300, 300, true) }, 'logo_png_base64'],
  ['a PNG with a broken CRC', { logo_png_base64: brokenCrc(pngBase64(4, 4)) }, 'logo_png_base64'],
  ['a truncated PNG', { logo_png_base64: Buffer.from(pngBase64(8, 8), 'base64').subarray(0, 40).toString('base64') }, 'logo_png_base64'],
  ['a PNG that is not base64', { logo_png_base64: 'data:image/png;base64,iVBORw0KGgo=' }, 'logo_png_base64'],
  ['two logos at once', { logo_svg: goodSvg, logo_png_base64: pngBase64(4, 4) }, 'logo_png_base64'],
  // Custom domains.
  ['a custom domain with a path', { custom_domain: 'portal.acme.example/login' }, 'custom_domain'],
  ['a custom domain as a URL', { custom_domain: 'https://portal.acme.example' }, 'custom_domain'],
  ['a custom domain that is an IP address', { custom_domain: '203.0.113.7' }, 'custom_domain'],
  ['a custom domain of one label', { custom_domain: 'localhost' }, 'custom_domain'],
  ['a custom domain with a port', { custom_domain: 'portal.acme.example:8443' }, 'custom_domain'],
  ['a custom domain under the base domain (another tenant host)', { custom_domain: `bravo.${BASE}` }, 'custom_domain'],
  ['the base domain as a custom domain', { custom_domain: BASE }, 'custom_domain'],
];

/** A PNG whose first chunk's CRC is wrong. */
function brokenCrc(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[29] = (bytes[29] ?? 0) ^ 0xff;
  return bytes.toString('base64');
}

describe('branding: GET/PUT /provider/v1/tenants/{tenant}/branding and GET /v1/branding/resolve', () => {
  let t: TestApp;
  let admin: Headers;
  const tenants: Record<string, Headers> = {};

  beforeAll(async () => {
    t = await buildTestApp({ baseDomain: BASE });
    admin = await t.adminHeaders();
    for (const [slug, model] of [
      ['alpha', 'pooled'],
      ['bravo', 'siloed'],
      ['charlie', 'hybrid'],
      ['delta', 'pooled'],
    ] as const) {
      tenants[slug] = await t.tenantAdminHeaders(slug, model);
    }
  });

  afterAll(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object, headers: Headers | Record<string, never> = admin) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  const put = (slug: string, body: object, headers: Headers = admin) => call('PUT', `/provider/v1/tenants/${slug}/branding`, body, headers);
  const resolve = async (host: string, headers: Record<string, string> = {}) => {
    const response = await t.app.inject({ method: 'GET', url: `/v1/branding/resolve?host=${encodeURIComponent(host)}`, headers });
    expect(response.statusCode, response.body).toBe(200);
    return ResolvedBrand.parse(response.json());
  };

  const alphaBrand = {
    product_name: 'Alpha Cloud',
    logo_svg: goodSvg,
    favicon_png_base64: pngBase64(32, 32),
    login_message: 'Welcome to Alpha.\nSign in with your Alpha account.',
    colors: { primary: '#AA0000', secondary: '#bb1111', accent: '#cc2222', background: '#fafafa', text: '#101010' },
    typography: { font_family: 'humanist', base_size_px: 15 },
    custom_domain: 'Portal.Alpha.Example.',
  };
  const bravoBrand = { product_name: 'Bravo Ops', logo_png_base64: pngBase64(120, 40), colors: { primary: '#0000aa' }, custom_domain: 'status.bravo.example' };

  it('answers the default brand for a tenant with none set, and sets a full brand: colors lowercased, the domain normalized, the SVG kept', async () => {
    const before = await call('GET', '/provider/v1/tenants/alpha/branding');
    expect(before.statusCode).toBe(200);
    expect(TenantBranding.parse(before.json())).toMatchObject({ ...DEFAULT_BRAND_DESIGN, custom_domain: null, updated_at: null });

    const response = await put('alpha', alphaBrand);
    expect(response.statusCode, response.body).toBe(200);
    const saved = TenantBranding.parse(response.json());
    expect(saved).toMatchObject({ product_name: 'Alpha Cloud', custom_domain: 'portal.alpha.example', typography: { font_family: 'humanist', base_size_px: 15 }, login_message: alphaBrand.login_message });
    expect(saved.colors.primary).toBe('#aa0000');
    expect(saved.logo_svg).toContain('fill="url(#g)"');
    expect(saved.logo_svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(saved.favicon_png_base64).not.toBeNull();
    expect(TenantBranding.parse((await call('GET', '/provider/v1/tenants/alpha/branding')).json())).toEqual(saved);

    const bravo = await put('bravo', bravoBrand);
    expect(bravo.statusCode, bravo.body).toBe(200);
    // Left out: the defaults.
    expect(TenantBranding.parse(bravo.json())).toMatchObject({ login_message: null, logo_svg: null, typography: DEFAULT_BRAND_DESIGN.typography, colors: { ...DEFAULT_BRAND_DESIGN.colors, primary: '#0000aa' } });
  });

  it('ledgers BRANDING_CHANGED in the provider ledger and the tenant ledger: changed fields, the domain and image digests, no images', async () => {
    const provider = (await call('GET', '/provider/v1/audit?event_type=BRANDING_CHANGED&tenant=alpha')).json<{ items: { details: Record<string, unknown>; actor: string }[] }>();
    expect(provider.items.length).toBeGreaterThan(0);
    const entry = provider.items.at(-1);
    expect(entry?.actor).toBe('operator:admin');
    expect(entry?.details).toMatchObject({ custom_domain: 'portal.alpha.example', product_name: 'Alpha Cloud', changed: expect.arrayContaining(['product_name', 'logo_svg', 'colors', 'custom_domain']) as unknown });
    expect(entry?.details.logo_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(provider)).not.toContain('linearGradient');
    const own = (await call('GET', '/v1/audit?event_type=BRANDING_CHANGED', undefined, tenants.alpha)).json<{ items: unknown[] }>();
    expect(own.items.length).toBe(provider.items.length);
  });

  it.each(corpus)('refuses %s with 400 invalid_branding naming the field', async (_what, patch, field) => {
    const response = await put('delta', { product_name: 'Delta', ...patch });
    expect(response.statusCode, response.body).toBe(400);
    const body = response.json<{ error: { code: string; details: { field: string }; message: string } }>();
    expect(body.error.code).toBe('invalid_branding');
    expect(body.error.details.field).toBe(field);
    // The refusal names the field; it never echoes the payload.
    expect(body.error.message).not.toMatch(/evil\.example|alert\(1\)/);
  });

  it('left nothing of the refused bodies behind: delta still has the default brand', async () => {
    expect(TenantBranding.parse((await call('GET', '/provider/v1/tenants/delta/branding')).json())).toMatchObject({ ...DEFAULT_BRAND_DESIGN, updated_at: null });
  });

  it('keeps the body strict (unknown fields are 400 invalid_request) and refuses NUL characters', async () => {
    const unknown = await put('delta', { product_name: 'Delta', css: 'body{}' });
    expect(unknown.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const nul = await put('delta', { product_name: 'Del\u0000ta' });
    expect(nul.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await put('delta', {})).json()).toMatchObject({ error: { code: 'invalid_branding', details: { field: 'product_name' } } });
  });

  it('refuses a custom domain another tenant holds with 409 domain_taken, in any case or with a trailing dot; the holder may keep it', async () => {
    for (const domain of ['portal.alpha.example', 'PORTAL.alpha.example', 'portal.alpha.example.']) {
      const taken = await put('delta', { product_name: 'Delta', custom_domain: domain });
      expect(taken.statusCode, domain).toBe(409);
      expect(taken.json()).toMatchObject({ error: { code: 'domain_taken', details: { field: 'custom_domain' } } });
    }
    const again = await put('alpha', { ...alphaBrand, product_name: 'Alpha Cloud' });
    expect(again.statusCode).toBe(200);
  });

  describe('who may read and change a brand', () => {
    it('provider_operator reads and changes brands; billing_viewer neither reads nor changes them (403 forbidden)', async () => {
      const operator = await t.operatorHeaders('brand-operator', ['provider_operator']);
      const viewer = await t.operatorHeaders('brand-billing', ['billing_viewer']);
      expect((await call('GET', '/provider/v1/tenants/delta/branding', undefined, operator)).statusCode).toBe(200);
      const changed = await put('delta', { product_name: 'Delta by operator' }, operator);
      expect(changed.statusCode, changed.body).toBe(200);
      for (const [method, payload] of [
        ['GET', undefined],
        ['PUT', { product_name: 'Delta by billing' }],
      ] as const) {
        const refused = await call(method, '/provider/v1/tenants/delta/branding', payload, viewer);
        expect(refused.statusCode, method).toBe(403);
        expect(refused.json()).toMatchObject({ error: { code: 'forbidden', details: { permission: method === 'GET' ? 'branding:read' : 'branding:write' } } });
      }
      expect(TenantBranding.parse((await call('GET', '/provider/v1/tenants/delta/branding')).json()).product_name).toBe('Delta by operator');
    });

    it("a tenant's credential reaches no brand on the provider plane, its own or another's (401), and changes nothing", async () => {
      for (const target of ['alpha', 'bravo']) {
        for (const [method, payload] of [
          ['GET', undefined],
          ['PUT', { product_name: 'Hijacked', custom_domain: 'hijack.example' }],
        ] as const) {
          const response = await call(method, `/provider/v1/tenants/${target}/branding`, payload, tenants.alpha ?? admin);
          expect(response.statusCode, `${method} ${target}`).toBe(401);
          expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } });
        }
      }
      expect((await resolve('status.bravo.example')).product_name).toBe('Bravo Ops');
      expect((await resolve('hijack.example')).source).toBe('default');
    });

    it('no credential at all is 401; an unknown tenant is 404', async () => {
      expect((await call('GET', '/provider/v1/tenants/alpha/branding', undefined, {})).statusCode).toBe(401);
      expect((await call('GET', '/provider/v1/tenants/nobody-here/branding')).statusCode).toBe(404);
      expect((await put('nobody-here', { product_name: 'X' })).statusCode).toBe(404);
    });
  });

  describe('resolve', () => {
    it('finds a brand by custom domain in any case, with a trailing dot or a port', async () => {
      for (const host of ['portal.alpha.example', 'PORTAL.Alpha.EXAMPLE', 'portal.alpha.example.', 'portal.alpha.example:8443', 'Portal.alpha.example.:443']) {
        const brand = await resolve(host);
        expect(brand, host).toMatchObject({ source: 'custom_domain', tenant_slug: 'alpha', product_name: 'Alpha Cloud' });
      }
      expect(await resolve('status.bravo.example')).toMatchObject({ source: 'custom_domain', tenant_slug: 'bravo', product_name: 'Bravo Ops' });
    });

    it('finds a brand by tenant host <slug>.<base domain>; a tenant without a brand gets the default look with its slug', async () => {
      expect(await resolve(`alpha.${BASE}`)).toMatchObject({ source: 'tenant_host', tenant_slug: 'alpha', product_name: 'Alpha Cloud' });
      expect(await resolve(`BRAVO.${BASE.toUpperCase()}.:8443`)).toMatchObject({ source: 'tenant_host', tenant_slug: 'bravo', product_name: 'Bravo Ops' });
      const charlie = await resolve(`charlie.${BASE}`);
      expect(charlie).toEqual({ ...DEFAULT_BRAND_DESIGN, source: 'tenant_host', tenant_slug: 'charlie' });
    });

    it('answers the default brand for anything else: unknown hosts, nested or malformed names, IPs, the base domain itself', async () => {
      for (const host of ['unknown.example', `nobody.${BASE}`, `x.alpha.${BASE}`, BASE, `alpha.${BASE}.evil.example`, 'alpha', '203.0.113.7', '[::1]:443', 'portal.alpha.example..', ' portal.alpha.example', 'portal.alpha.example/x', 'portal.alpha.example:99999', 'evil.example@portal.alpha.example', 'portal%2ealpha.example', '']) {
        expect(await resolve(host), JSON.stringify(host)).toEqual({ ...DEFAULT_BRAND_DESIGN, source: 'default', tenant_slug: null });
      }
    });

    it("uses the request's Host header when ?host= is absent, answers without a credential, and is never cached for another host", async () => {
      const response = await t.app.inject({ method: 'GET', url: '/v1/branding/resolve', headers: { host: 'portal.alpha.example' } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ tenant_slug: 'alpha' });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.vary).toMatch(/Host/);
      // A tenant credential changes nothing; an operator session is refused on the tenant plane as everywhere.
      expect(await resolve('status.bravo.example', tenants.alpha ?? {})).toMatchObject({ tenant_slug: 'bravo' });
      const operator = await t.app.inject({ method: 'GET', url: '/v1/branding/resolve?host=portal.alpha.example', headers: admin });
      expect(operator.statusCode).toBe(403);
      const tooLong = await t.app.inject({ method: 'GET', url: `/v1/branding/resolve?host=${'a'.repeat(600)}` });
      expect(tooLong.json()).toMatchObject({ error: { code: 'invalid_request' } });
    });

    it('is limited per address: past 600 a minute, 429 rate_limited with Retry-After; other addresses are unaffected', async () => {
      const from = (remoteAddress: string) => t.app.inject({ method: 'GET', url: '/v1/branding/resolve?host=nobody.example', remoteAddress });
      for (let i = 0; i < 600; i++) expect((await from('198.51.100.7')).statusCode).toBe(200);
      const refused = await from('198.51.100.7');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await from('198.51.100.8')).statusCode).toBe(200);
    });

    it('a suspended tenant resolves to the default brand, and to its own again once resumed', async () => {
      expect((await call('POST', '/provider/v1/tenants/bravo/suspend', { reason: 'unpaid' })).statusCode).toBe(200);
      expect((await resolve('status.bravo.example')).source).toBe('default');
      expect((await resolve(`bravo.${BASE}`)).source).toBe('default');
      expect((await call('POST', '/provider/v1/tenants/bravo/resume', { reason: 'paid' })).statusCode).toBe(200);
      expect((await resolve('status.bravo.example')).tenant_slug).toBe('bravo');
    });

    it('a corrupt brand record resolves to the default brand (and the provider plane does not serve it either)', async () => {
      const storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
      try {
        const charlie = await storage.tenants.bySlug('charlie');
        if (charlie === null) throw new Error('no charlie');
        // A record altered in storage: a color that is CSS, not a token. It must never reach a page.
        const design = { ...DEFAULT_BRAND_DESIGN, product_name: 'Charlie', colors: { ...DEFAULT_BRAND_DESIGN.colors, primary: '#000;background:url(https://evil.example)' } } satisfies BrandDesign;
        await storage.transaction((tx) => tx.putBranding({ tenantId: charlie.id, design, customDomain: 'charlie.example', updatedAt: new Date().toISOString() }));
      } finally {
        await storage.close();
      }
      expect(await resolve('charlie.example')).toEqual({ ...DEFAULT_BRAND_DESIGN, source: 'default', tenant_slug: null });
      expect(await resolve(`charlie.${BASE}`)).toEqual({ ...DEFAULT_BRAND_DESIGN, source: 'default', tenant_slug: null });
      expect((await call('GET', '/provider/v1/tenants/charlie/branding')).statusCode).toBe(500);
      // A valid brand replaces it.
      const replaced = await put('charlie', { product_name: 'Charlie', custom_domain: 'charlie.example' });
      expect(replaced.statusCode, replaced.body).toBe(200);
      expect((await resolve('charlie.example')).product_name).toBe('Charlie');
    });

    /**
     * Whatever host a sign-in wall sends, the answer is the brand of the one tenant the host names
     * (its custom domain, or its tenant host, in any case, with a trailing dot or a port), and the
     * default brand otherwise: never another tenant's.
     */
    it('property: no host input yields another tenant brand', async () => {
      const known = { alpha: { domain: 'portal.alpha.example', name: 'Alpha Cloud' }, bravo: { domain: 'status.bravo.example', name: 'Bravo Ops' }, charlie: { domain: 'charlie.example', name: 'Charlie' } } as const;
      const owner = (input: string): { slug: string; name: string } | null => {
        const port = /:(\d{1,5})$/.exec(input);
        if (port !== null && Number(port[1]) > 65535) return null;
        const bare = (port === null ? input : input.slice(0, port.index)).toLowerCase().replace(/\.$/, '');
        for (const [slug, brand] of Object.entries(known)) if (bare === brand.domain || bare === `${slug}.${BASE}`) return { slug, name: brand.name };
        if (bare === `delta.${BASE}`) return { slug: 'delta', name: 'Delta by operator' };
        return null;
      };
      const hosts = [...Object.values(known).map((brand) => brand.domain), ...['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((slug) => `${slug}.${BASE}`), 'unknown.example', BASE];
      const mangle = fc.tuple(
        fc.constantFrom(...hosts),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.constantFrom('', '.', '..', ':443', ':8443', '.:80', ':65535', ':65536', ':99999', ':', ':abc', '/', '%00', ' '),
        fc.constantFrom('', 'x.', 'www.', '.', ' ', 'evil.example.', 'alpha.', 'bravo-'),
        fc.constantFrom('', '.evil.example', 'x', `.${BASE}`, '-'),
      );
      const input = fc.oneof(
        mangle.map(([host, upper, tail, prefix, suffix]) => `${prefix}${host.replace(/./g, (char, i: number) => (upper[i] === true ? char.toUpperCase() : char))}${suffix}${tail}`),
        fc.string({ maxLength: 80 }),
        fc.string({ maxLength: 80, unit: 'grapheme' }),
      );
      await fc.assert(
        fc.asyncProperty(input, async (host) => {
          const response = await t.app.inject({ method: 'GET', url: `/v1/branding/resolve?host=${encodeURIComponent(host)}` });
          if (host.includes('\u0000')) return response.statusCode === 400;
          expect(response.statusCode, response.body).toBe(200);
          const brand = ResolvedBrand.parse(response.json());
          const expected = owner(host);
          if (expected === null) {
            expect(brand, JSON.stringify(host)).toEqual({ ...DEFAULT_BRAND_DESIGN, source: 'default', tenant_slug: null });
          } else {
            expect(brand.tenant_slug, JSON.stringify(host)).toBe(expected.slug);
            expect(brand.product_name, JSON.stringify(host)).toBe(expected.name);
          }
          return true;
        }),
        { numRuns: 300, seed: 19 },
      );
    });

    it('a deleted tenant resolves to the default brand, its brand is purged, its domain free again; its brand cannot change', async () => {
      expect((await call('DELETE', '/provider/v1/tenants/bravo')).statusCode).toBe(204);
      expect((await resolve('status.bravo.example')).source).toBe('default');
      expect((await resolve(`bravo.${BASE}`)).source).toBe('default');
      expect(TenantBranding.parse((await call('GET', '/provider/v1/tenants/bravo/branding')).json())).toMatchObject({ ...DEFAULT_BRAND_DESIGN, custom_domain: null });
      const changed = await put('bravo', { product_name: 'Ghost' });
      expect(changed.statusCode).toBe(409);
      expect(changed.json()).toMatchObject({ error: { code: 'tenant_deleted' } });
      const reused = await put('delta', { product_name: 'Delta', custom_domain: 'status.bravo.example' });
      expect(reused.statusCode, reused.body).toBe(200);
      expect(await resolve('status.bravo.example')).toMatchObject({ tenant_slug: 'delta', product_name: 'Delta' });
    });
  });
});
