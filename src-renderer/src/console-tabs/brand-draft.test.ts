import { describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_DESIGN, type TenantBranding } from '../../../contracts/branding';
import { brandRequest, draftOf, draftProblems, previewTokens } from './brand-draft';

const stored: TenantBranding = { tenant_id: '00000000-0000-4000-8000-000000000001', ...DEFAULT_BRAND_DESIGN, favicon_svg: '<svg/>', custom_domain: null, updated_at: null };

describe('the brand draft', () => {
  it('checks each field as the contract does, and previews only what passes', () => {
    const saved = draftOf(stored);
    const draft = { ...saved, product_name: ' ', colors: { ...saved.colors, primary: '#12345', accent: '#ABCDEF' }, base_size_px: '21' };
    expect(draftProblems(draft)).toEqual({ product_name: 'A product name is required.', 'colors.primary': 'A color as #rrggbb (six hex digits).', 'typography.base_size_px': 'A whole number of pixels, 12 to 20.' });
    expect(previewTokens(draft, saved)).toEqual({ colors: { ...saved.colors, accent: '#abcdef' }, typography: { font_family: 'system', base_size_px: 16 } });
    expect(draftProblems(saved)).toEqual({});
  });

  it('sends the whole brand, the favicon it does not edit as stored, empty texts as null', () => {
    const draft = { ...draftOf(stored), product_name: ' Acme ', login_message: '  ', logo: { kind: 'png' as const, base64: 'iVBORw0KGgo=' } };
    expect(brandRequest(draft, stored)).toEqual({
      product_name: 'Acme',
      login_message: null,
      colors: DEFAULT_BRAND_DESIGN.colors,
      typography: { font_family: 'system', base_size_px: 16 },
      custom_domain: null,
      logo_svg: null,
      logo_png_base64: 'iVBORw0KGgo=',
      favicon_svg: '<svg/>',
      favicon_png_base64: null,
    });
  });
});
