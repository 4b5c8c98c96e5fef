// The Branding tab's editor state: what the operator typed, checked field by field with the same
// rules as the control plane's contract, and only checked tokens ever reach the preview.
import { BASE_SIZE_PX, BRANDING_LIMITS, FONT_STACKS, HEX_COLOR, type BrandColors, type FontFamily, type PutBrandingRequest, type TenantBranding } from '../../../contracts/branding';

export const COLOR_KEYS = ['primary', 'secondary', 'accent', 'background', 'text'] as const satisfies readonly (keyof BrandColors)[];
export type ColorKey = (typeof COLOR_KEYS)[number];

export type Logo = { kind: 'svg'; svg: string } | { kind: 'png'; base64: string } | null;

export type BrandDraft = {
  product_name: string;
  login_message: string;
  colors: Record<ColorKey, string>;
  font_family: FontFamily;
  base_size_px: string;
  custom_domain: string;
  logo: Logo;
};

/** The draft of a stored brand (favicons are kept as they are: this editor does not change them). */
export function draftOf(brand: TenantBranding): BrandDraft {
  return {
    product_name: brand.product_name,
    login_message: brand.login_message ?? '',
    colors: { ...brand.colors },
    font_family: brand.typography.font_family,
    base_size_px: String(brand.typography.base_size_px),
    custom_domain: brand.custom_domain ?? '',
    logo: brand.logo_svg !== null ? { kind: 'svg', svg: brand.logo_svg } : brand.logo_png_base64 !== null ? { kind: 'png', base64: brand.logo_png_base64 } : null,
  };
}

/** Field path (the API's) → why the typed value is refused; empty when the draft may be sent. */
export function draftProblems(draft: BrandDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  const name = draft.product_name.trim();
  if (name === '') problems.product_name = 'A product name is required.';
  else if (name.length > BRANDING_LIMITS.productName) problems.product_name = `At most ${BRANDING_LIMITS.productName} characters.`;
  if (draft.login_message.length > BRANDING_LIMITS.loginMessage) problems.login_message = `At most ${BRANDING_LIMITS.loginMessage} characters.`;
  for (const key of COLOR_KEYS) {
    if (!HEX_COLOR.test(draft.colors[key])) problems[`colors.${key}`] = 'A color as #rrggbb (six hex digits).';
  }
  const size = Number(draft.base_size_px);
  if (!/^\d+$/.test(draft.base_size_px.trim()) || size < BASE_SIZE_PX.min || size > BASE_SIZE_PX.max) {
    problems['typography.base_size_px'] = `A whole number of pixels, ${BASE_SIZE_PX.min} to ${BASE_SIZE_PX.max}.`;
  }
  if (!Object.hasOwn(FONT_STACKS, draft.font_family)) problems['typography.font_family'] = 'One of the listed families.';
  if (draft.custom_domain.length > BRANDING_LIMITS.customDomain) problems.custom_domain = `At most ${BRANDING_LIMITS.customDomain} characters.`;
  return problems;
}

/**
 * The tokens the preview shows: each field's typed value once it is valid, otherwise the last saved
 * one, so the preview never receives a value the contract would refuse.
 */
export function previewTokens(draft: BrandDraft, saved: BrandDraft): { colors: BrandColors; typography: { font_family: FontFamily; base_size_px: number } } {
  const problems = draftProblems(draft);
  const pick = (path: string, typed: string, fallback: string) => (problems[path] === undefined ? typed : fallback);
  const colors = Object.fromEntries(COLOR_KEYS.map((key) => [key, pick(`colors.${key}`, draft.colors[key], saved.colors[key]).toLowerCase()])) as BrandColors;
  return {
    colors,
    typography: {
      font_family: problems['typography.font_family'] === undefined ? draft.font_family : saved.font_family,
      base_size_px: Number(pick('typography.base_size_px', draft.base_size_px.trim(), saved.base_size_px)),
    },
  };
}

/** The PUT body (the whole brand: what this editor does not show, the favicon, is sent back as stored). */
export function brandRequest(draft: BrandDraft, stored: TenantBranding): PutBrandingRequest {
  return {
    product_name: draft.product_name.trim(),
    login_message: draft.login_message.trim() === '' ? null : draft.login_message,
    colors: draft.colors,
    typography: { font_family: draft.font_family, base_size_px: Number(draft.base_size_px.trim()) },
    custom_domain: draft.custom_domain.trim() === '' ? null : draft.custom_domain.trim(),
    logo_svg: draft.logo?.kind === 'svg' ? draft.logo.svg : null,
    logo_png_base64: draft.logo?.kind === 'png' ? draft.logo.base64 : null,
    favicon_svg: stored.favicon_svg,
    favicon_png_base64: stored.favicon_png_base64,
  };
}
