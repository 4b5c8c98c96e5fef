import { describe, expect, it } from 'vitest';
import { brandCss, brandCustomProperties, DEFAULT_BRAND_DESIGN, FONT_STACKS, type BrandColors, type BrandTypography } from './branding';

describe('brand tokens to CSS custom properties', () => {
  it('turns validated tokens into custom properties and nothing else', () => {
    const css = brandCss({ colors: { ...DEFAULT_BRAND_DESIGN.colors, primary: '#AABBCC' }, typography: { font_family: 'monospace', base_size_px: 14 } });
    expect(css).toBe(
      [':root {', '  --brand-primary: #aabbcc;', '  --brand-secondary: #3d5a80;', '  --brand-accent: #e07a5f;', '  --brand-background: #ffffff;', '  --brand-text: #1b1f24;', `  --brand-font-family: ${FONT_STACKS.monospace};`, '  --brand-base-size: 14px;', '}', ''].join('\n'),
    );
  });

  it('checks every value again at output: a token that is not one throws instead of becoming CSS', () => {
    const colors = (primary: string): BrandColors => ({ ...DEFAULT_BRAND_DESIGN.colors, primary });
    for (const bad of ['#000;background:url(x)', 'red', '#fff', '\\75rl(x)', '#000000</style>']) {
      expect(() => brandCustomProperties({ colors: colors(bad), typography: DEFAULT_BRAND_DESIGN.typography }), bad).toThrow();
    }
    const typography = (value: unknown): BrandTypography => value as BrandTypography;
    expect(() => brandCustomProperties({ colors: DEFAULT_BRAND_DESIGN.colors, typography: typography({ font_family: 'x"; @import url(y)', base_size_px: 16 }) })).toThrow();
    expect(() => brandCustomProperties({ colors: DEFAULT_BRAND_DESIGN.colors, typography: typography({ font_family: 'constructor', base_size_px: 16 }) })).toThrow();
    expect(() => brandCustomProperties({ colors: DEFAULT_BRAND_DESIGN.colors, typography: typography({ font_family: 'system', base_size_px: '16px;x' }) })).toThrow();
    expect(() => brandCustomProperties({ colors: DEFAULT_BRAND_DESIGN.colors, typography: typography({ font_family: 'system', base_size_px: 40 }) })).toThrow();
    expect(() => brandCss(DEFAULT_BRAND_DESIGN, 'body{}x')).toThrow();
  });
});
