import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_CSV_COLUMNS } from '../../contracts/usage';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';
import { licenseText, mintLicense, testSigner, type TestSigner } from '../../test/helpers/startup-fixtures';

/** The Branding and Usage tabs' and the License screen's channels through the real IPC router and ConsoleService, against a real control plane over HTTPS. */
describe('console tab handlers (branding, usage files, license) against a real control plane', () => {
  let c: ConsoleRouter;
  let signer: TestSigner;

  beforeAll(async () => {
    signer = testSigner();
    c = await consoleRouter({ licenseTrust: signer.trust, licenseText: licenseText(mintLicense(signer, { license_id: 'first', tenant_band: 25 })) });
    await c.result('tenants:create', { slug: 'acme', name: 'Acme' });
    await c.result('tenants:create', { slug: 'beta-co', name: 'Beta' });
  }, 60_000);

  afterAll(async () => {
    await c.close();
  });

  it('reads the default brand, replaces it, and answers a bad value at its field from the console or the control plane', async () => {
    expect(await c.call('branding:get', { tenant: 'acme' })).toMatchObject({ result: { product_name: 'Bulkhead', updated_at: null } });
    const set = await c.result('branding:set', { tenant: 'acme', product_name: 'Acme Portal', colors: { primary: '#AA0011' }, typography: { font_family: 'geometric', base_size_px: 18 }, login_message: 'Hello' });
    expect(set).toMatchObject({ product_name: 'Acme Portal', colors: { primary: '#aa0011' }, typography: { font_family: 'geometric', base_size_px: 18 }, login_message: 'Hello' });
    expect(await c.call('branding:get', { tenant: 'acme' })).toMatchObject({ result: { product_name: 'Acme Portal' } });
    // The console's own contract refuses a color that is not #rrggbb, at its field.
    expect(await c.call('branding:set', { tenant: 'acme', product_name: 'Acme', colors: { primary: 'red' } })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'colors.primary' }] } } });
    // The control plane's own checks (an SVG with script) come back naming the field too.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    expect(await c.call('branding:set', { tenant: 'acme', product_name: 'Acme', logo_svg: svg })).toMatchObject({ error: { code: 'invalid_branding', details: { issues: [{ path: 'logo_svg' }] } } });
    expect(await c.call('branding:get', { tenant: 'beta-co' })).toMatchObject({ result: { product_name: 'Bulkhead' } });
  });

  it('saves the usage export (all tenants or one) and a PDF report in the downloads folder; the renderer gets only the name', async () => {
    const all = await c.result<{ saved: boolean; filename: string; bytes: number }>('usage:export', { format: 'csv' });
    expect(all).toMatchObject({ saved: true, filename: expect.stringMatching(/^bulkhead-usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/) as unknown });
    const csv = readFileSync(join(c.downloads, all.filename), 'utf8');
    expect(csv.startsWith(`${USAGE_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv).toContain('acme');
    expect(csv).toContain('beta-co');
    expect(Buffer.byteLength(csv)).toBe(all.bytes);

    const one = await c.result<{ filename: string }>('usage:export', { format: 'json', tenant: 'acme' });
    expect(one.filename).toMatch(/^bulkhead-usage-acme-.*\.json$/);
    const rows = (JSON.parse(readFileSync(join(c.downloads, one.filename), 'utf8')) as { rows: { tenant_slug: string }[] }).rows;
    expect(new Set(rows.map((row) => row.tenant_slug))).toEqual(new Set(['acme']));

    // The same export twice: a second file, the first never overwritten.
    const again = await c.result<{ filename: string }>('usage:export', { format: 'csv' });
    expect(again.filename).toBe(all.filename.replace('.csv', ' (2).csv'));

    const report = await c.result<{ filename: string }>('usage:report', { tenant: 'acme' });
    expect(readFileSync(join(c.downloads, report.filename)).subarray(0, 5).toString()).toBe('%PDF-');
    expect(readdirSync(c.downloads)).toHaveLength(4);

    expect(await c.call('usage:export', { format: 'csv', from: 'yesterday' })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'from' }] } } });
    expect(await c.call('usage:export', { format: 'csv', from: '2026-02-30' })).toMatchObject({ error: { code: 'usage_date_invalid', details: { parameter: 'from' } } });
    expect(await c.call('usage:report', { tenant: 'nobody' })).toMatchObject({ error: { code: 'not_found' } });
    expect(readdirSync(c.downloads)).toHaveLength(4);
  });

  it('replaces the license with a verified file; a bad one is refused with license_invalid', async () => {
    expect(await c.call('license:replace', { license: 'not json at all' })).toMatchObject({ error: { code: 'license_invalid' } });
    const altered = mintLicense(signer, { license_id: 'second' }, c.now());
    const tampered = JSON.stringify({ ...altered, payload: { ...altered.payload, tenant_band: 999_999 } });
    expect(await c.call('license:replace', { license: tampered })).toMatchObject({ error: { code: 'license_invalid' } });
    expect(await c.result('license:get')).toMatchObject({ tenant_band: 25 });

    const next = licenseText(mintLicense(signer, { license_id: 'second', licensee: 'Grown MSP', tenant_band: 300 }, c.now()));
    expect(await c.call('license:replace', { license: next })).toMatchObject({ result: { licensee: 'Grown MSP', tenant_band: 300, tenants_used: 2 } });
    expect(await c.result('license:get')).toMatchObject({ licensee: 'Grown MSP', tenant_band: 300 });
  });
});
