import { z } from 'zod';
import { Timestamp, Uuid } from './common';

/**
 * White-label branding: a tenant's product name, logo, favicon, login message, colors, typography
 * and custom domain. There is no free-form CSS: brand values reach pages only as CSS custom
 * properties built by `brandCustomProperties` from these validated tokens.
 */

/** `#rrggbb`, nothing else (no names, no short form, no alpha, no functions). */
export const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
export const HexColor = z.string().regex(HEX_COLOR, 'a color as #rrggbb');

/**
 * The font families a brand may pick, by key. The CSS stack of each is ours: what a tenant sends is
 * a key of this table, never a font name that reaches CSS.
 */
export const FONT_STACKS = {
  system: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  humanist: '"Segoe UI", "Noto Sans", "Open Sans", Ubuntu, Cantarell, sans-serif',
  geometric: 'Avenir, Montserrat, Futura, "Century Gothic", sans-serif',
  'classic-serif': 'Georgia, Cambria, "Times New Roman", Times, serif',
  'modern-serif': 'Charter, "Bitstream Charter", "Sitka Text", Cambria, serif',
  monospace: 'ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, monospace',
} as const;
export const FontFamily = z.enum(Object.keys(FONT_STACKS) as [keyof typeof FONT_STACKS, ...(keyof typeof FONT_STACKS)[]]);
export type FontFamily = z.infer<typeof FontFamily>;

export const BASE_SIZE_PX = { min: 12, max: 20 } as const;

export const BrandColors = z.strictObject({ primary: HexColor, secondary: HexColor, accent: HexColor, background: HexColor, text: HexColor });
export type BrandColors = z.infer<typeof BrandColors>;

export const BrandTypography = z.strictObject({ font_family: FontFamily, base_size_px: z.number().int().min(BASE_SIZE_PX.min).max(BASE_SIZE_PX.max) });
export type BrandTypography = z.infer<typeof BrandTypography>;

/** Limits, in bytes of the decoded image (PNG) or characters of markup (SVG), and PNG dimensions in pixels. */
export const BRANDING_LIMITS = {
  productName: 64,
  loginMessage: 500,
  logoPngBytes: 256 * 1024,
  logoPngSide: 1024,
  logoSvgChars: 64 * 1024,
  faviconPngBytes: 32 * 1024,
  faviconPngSide: 256,
  faviconSvgChars: 8 * 1024,
  customDomain: 253,
} as const;

/** Base64 characters that hold at most `bytes` bytes (padded). */
const base64Chars = (bytes: number) => Math.ceil(bytes / 3) * 4;

/**
 * PUT /provider/v1/tenants/{tenant}/branding replaces the whole brand: a field left out is its
 * default (no logo, no message, the default colors and typography, no custom domain). One of
 * `logo_svg` and `logo_png_base64` at most, and one favicon at most.
 */
export const PutBrandingRequest = z.strictObject({
  product_name: z.string().min(1).max(BRANDING_LIMITS.productName),
  logo_svg: z.string().min(1).max(BRANDING_LIMITS.logoSvgChars).nullable().optional(),
  logo_png_base64: z.string().min(1).max(base64Chars(BRANDING_LIMITS.logoPngBytes)).nullable().optional(),
  favicon_svg: z.string().min(1).max(BRANDING_LIMITS.faviconSvgChars).nullable().optional(),
  favicon_png_base64: z.string().min(1).max(base64Chars(BRANDING_LIMITS.faviconPngBytes)).nullable().optional(),
  login_message: z.string().max(BRANDING_LIMITS.loginMessage).nullable().optional(),
  colors: BrandColors.partial().optional(),
  typography: BrandTypography.partial().optional(),
  custom_domain: z.string().min(1).max(BRANDING_LIMITS.customDomain).nullable().optional(),
});
export type PutBrandingRequest = z.infer<typeof PutBrandingRequest>;

/** A brand's look: everything but its custom domain (stored sanitized and normalized). */
export const BrandDesign = z.strictObject({
  product_name: PutBrandingRequest.shape.product_name,
  logo_svg: z.string().nullable(),
  logo_png_base64: z.string().nullable(),
  favicon_svg: z.string().nullable(),
  favicon_png_base64: z.string().nullable(),
  login_message: z.string().max(BRANDING_LIMITS.loginMessage).nullable(),
  colors: BrandColors,
  typography: BrandTypography,
});
export type BrandDesign = z.infer<typeof BrandDesign>;

/** GET and PUT answer: the tenant's brand (the default one, `updated_at: null`, until one is set). */
export const TenantBranding = z.strictObject({
  tenant_id: Uuid,
  ...BrandDesign.shape,
  custom_domain: z.string().nullable(),
  updated_at: Timestamp.nullable(),
});
export type TenantBranding = z.infer<typeof TenantBranding>;

/** How a brand was found: by a custom domain, by a tenant host `<slug>.<base domain>`, or not at all. */
export const BrandSource = z.enum(['custom_domain', 'tenant_host', 'default']);
export type BrandSource = z.infer<typeof BrandSource>;

/** GET /v1/branding/resolve (public, for sign-in walls). */
export const ResolveBrandingQuery = z.strictObject({
  /** The host the browser is on (host[:port]); the request's own Host header when absent. */
  host: z.string().max(512).optional(),
});

export const ResolvedBrand = z.strictObject({
  source: BrandSource,
  /** The tenant to sign in to (null for the default brand). */
  tenant_slug: z.string().nullable(),
  ...BrandDesign.shape,
});
export type ResolvedBrand = z.infer<typeof ResolvedBrand>;

/** The brand every host that resolves to nothing (or fails to resolve) gets. */
export const DEFAULT_BRAND_DESIGN: BrandDesign = {
  product_name: 'Bulkhead',
  logo_svg: null,
  logo_png_base64: null,
  favicon_svg: null,
  favicon_png_base64: null,
  login_message: null,
  colors: { primary: '#1f4b99', secondary: '#3d5a80', accent: '#e07a5f', background: '#ffffff', text: '#1b1f24' },
  typography: { font_family: 'system', base_size_px: 16 },
};

export type BrandCustomProperty = '--brand-primary' | '--brand-secondary' | '--brand-accent' | '--brand-background' | '--brand-text' | '--brand-font-family' | '--brand-base-size';

/**
 * The only way brand values reach CSS: validated tokens in, custom properties out. Every value is
 * checked again here, at the point of output (a color is `#rrggbb`, the font stack is our own table's,
 * the size a whole number of pixels in range), so nothing a tenant typed can become CSS syntax even
 * if a stored record were altered: anything else throws, and the caller uses the default brand.
 */
export function brandCustomProperties(tokens: { colors: BrandColors; typography: BrandTypography }): [BrandCustomProperty, string][] {
  const color = (value: string): string => {
    if (!HEX_COLOR.test(value)) throw new Error('not a #rrggbb color');
    return value.toLowerCase();
  };
  const family = tokens.typography.font_family;
  if (!Object.hasOwn(FONT_STACKS, family)) throw new Error('not an allowed font family');
  const size = tokens.typography.base_size_px;
  if (!Number.isInteger(size) || size < BASE_SIZE_PX.min || size > BASE_SIZE_PX.max) throw new Error('base size out of range');
  return [
    ['--brand-primary', color(tokens.colors.primary)],
    ['--brand-secondary', color(tokens.colors.secondary)],
    ['--brand-accent', color(tokens.colors.accent)],
    ['--brand-background', color(tokens.colors.background)],
    ['--brand-text', color(tokens.colors.text)],
    ['--brand-font-family', FONT_STACKS[family]],
    ['--brand-base-size', `${size}px`],
  ];
}

/** The custom properties as a stylesheet rule (`:root { --brand-primary: #112233; ... }`). */
export function brandCss(tokens: { colors: BrandColors; typography: BrandTypography }, selector = ':root'): string {
  if (selector !== ':root' && !/^[.#]?[a-z][a-z0-9-]*$/.test(selector)) throw new Error('not a simple selector');
  return `${selector} {\n${brandCustomProperties(tokens)
    .map(([name, value]) => `  ${name}: ${value};`)
    .join('\n')}\n}\n`;
}
