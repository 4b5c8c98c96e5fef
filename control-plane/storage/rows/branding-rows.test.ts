import { describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_DESIGN } from '../../../contracts/branding';
import type { BrandingRecord } from '../branding';
import { BRANDING_COLUMNS, brandingColumns, brandingFromRow } from './branding-rows';

describe('branding rows', () => {
  const record: BrandingRecord = { tenantId: '44444444-4444-4444-8444-444444444444', design: { ...DEFAULT_BRAND_DESIGN, product_name: 'Acme' }, customDomain: 'portal.acme.example', updatedAt: '2030-01-01T00:00:00.000Z' };

  it('round-trips a brand through its columns', () => {
    const columns = brandingColumns(record);
    expect(Object.keys(columns)).toEqual([...BRANDING_COLUMNS]);
    expect(brandingFromRow(columns)).toEqual(record);
  });

  it('refuses a design that is not the contract: a CSS color, an unknown field, a font outside the allowlist', () => {
    for (const design of [{ ...record.design, colors: { ...record.design.colors, primary: 'url(x)' } }, { ...record.design, css: 'body{}' }, { ...record.design, typography: { font_family: 'Comic Sans', base_size_px: 16 } }]) {
      expect(() => brandingFromRow({ ...brandingColumns(record), design: JSON.stringify(design) })).toThrow();
    }
    expect(() => brandingFromRow({ ...brandingColumns(record), design: '{not json' })).toThrow();
  });
});
