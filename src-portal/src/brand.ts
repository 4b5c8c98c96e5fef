import { brandCustomProperties, DEFAULT_BRAND_DESIGN, ResolvedBrand } from '../../contracts/branding';

export const DEFAULT_BRAND: ResolvedBrand = { source: 'default', tenant_slug: null, ...DEFAULT_BRAND_DESIGN };

/** What the control plane answered, checked against the contract; anything else is the default brand. */
export function brandFrom(answer: unknown): ResolvedBrand {
  const parsed = ResolvedBrand.safeParse(answer);
  return parsed.success ? parsed.data : DEFAULT_BRAND;
}

/**
 * Puts a brand's tokens on an element as CSS custom properties, through the CSSOM (which a CSP
 * without 'unsafe-inline' allows): the only way brand values reach CSS. A token that does not
 * re-check applies the default brand's instead.
 */
export function applyBrand(element: HTMLElement, brand: ResolvedBrand): void {
  let properties: ReturnType<typeof brandCustomProperties>;
  try {
    properties = brandCustomProperties(brand);
  } catch {
    properties = brandCustomProperties(DEFAULT_BRAND);
  }
  for (const [name, value] of properties) element.style.setProperty(name, value);
}

/** An image of the brand as a data: URL for an <img> (where an SVG never runs script), or null. */
export function imageUrl(svg: string | null, pngBase64: string | null): string | null {
  if (svg !== null) return `data:image/svg+xml;base64,${base64OfText(svg)}`;
  if (pngBase64 !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(pngBase64)) return `data:image/png;base64,${pngBase64}`;
  return null;
}

function base64OfText(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
