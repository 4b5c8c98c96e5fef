import { BRANDING_LIMITS, DEFAULT_BRAND_DESIGN, PutBrandingRequest, type BrandDesign } from '../../contracts/branding';
import { issuesToDetails } from '../../contracts/errors';
import { ApiError } from '../errors';
import { customDomain } from './host-names';
import { plainTextProblem } from './plain-text';
import { checkPng, decodeBase64 } from './png-check';
import { sanitizeSvg } from './svg-sanitizer';

/** `400 invalid_branding` naming the field (never echoing its value). */
export function invalidBranding(field: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_branding', `Invalid branding: ${field}: ${problem}.`, { field, issues: [{ path: field, message: problem }] });
}

/**
 * A PUT body, parsed: a value the contract refuses is `400 invalid_branding` naming its field; the
 * body's shape (unknown fields, not an object) stays `400 invalid_request` like everywhere else,
 * and is left to the route's parseWith.
 */
export function brandingValueProblem(body: unknown): ApiError | null {
  const parsed = PutBrandingRequest.safeParse(body ?? {});
  if (parsed.success) return null;
  const structural = parsed.error.issues.some((issue) => issue.code === 'unrecognized_keys' || issue.path.length === 0);
  if (structural) return null;
  const details = issuesToDetails(parsed.error);
  const field = details.issues[0]?.path ?? '(body)';
  return new ApiError(400, 'invalid_branding', `Invalid branding: ${details.issues.map((issue) => issue.path).join(', ')}.`, { field, ...details });
}

function text(field: string, value: string | null | undefined, lines: boolean): string | null {
  if (value === null || value === undefined) return null;
  const problem = plainTextProblem(value, { lines });
  if (problem !== null) throw invalidBranding(field, problem);
  return value.trim() === '' ? null : value;
}

function svg(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const verdict = sanitizeSvg(value);
  if ('problem' in verdict) throw invalidBranding(field, verdict.problem);
  return verdict.svg;
}

function png(field: string, value: string | null | undefined, limits: { maxBytes: number; maxSide: number }): string | null {
  if (value === null || value === undefined) return null;
  const bytes = decodeBase64(value);
  if (bytes === null) throw invalidBranding(field, 'not base64 (standard alphabet, padded, no white space)');
  const verdict = checkPng(bytes, limits);
  if ('problem' in verdict) throw invalidBranding(field, verdict.problem);
  return verdict.png.toString('base64');
}

function oneOf(a: [string, unknown], b: [string, unknown]): void {
  if (a[1] !== null && a[1] !== undefined && b[1] !== null && b[1] !== undefined) throw invalidBranding(b[0], `give ${a[0]} or ${b[0]}, not both`);
}

/**
 * What a PUT stores: every value checked (plain text, the SVG profile, PNG structure and bounds,
 * #rrggbb colors, allowlisted typography, a custom domain outside the base domain), colors in
 * lowercase, and the defaults for what was left out.
 */
export function validatedBranding(body: PutBrandingRequest, baseDomain: string | null): { design: BrandDesign; customDomain: string | null } {
  oneOf(['logo_svg', body.logo_svg], ['logo_png_base64', body.logo_png_base64]);
  oneOf(['favicon_svg', body.favicon_svg], ['favicon_png_base64', body.favicon_png_base64]);
  const productName = text('product_name', body.product_name, false);
  if (productName === null) throw invalidBranding('product_name', 'empty');
  const colors = { ...DEFAULT_BRAND_DESIGN.colors, ...body.colors };
  const design: BrandDesign = {
    product_name: productName,
    logo_svg: svg('logo_svg', body.logo_svg),
    logo_png_base64: png('logo_png_base64', body.logo_png_base64, { maxBytes: BRANDING_LIMITS.logoPngBytes, maxSide: BRANDING_LIMITS.logoPngSide }),
    favicon_svg: svg('favicon_svg', body.favicon_svg),
    favicon_png_base64: png('favicon_png_base64', body.favicon_png_base64, { maxBytes: BRANDING_LIMITS.faviconPngBytes, maxSide: BRANDING_LIMITS.faviconPngSide }),
    login_message: text('login_message', body.login_message, true),
    colors: Object.fromEntries(Object.entries(colors).map(([name, value]) => [name, value.toLowerCase()])) as BrandDesign['colors'],
    typography: { ...DEFAULT_BRAND_DESIGN.typography, ...body.typography },
  };
  if (body.custom_domain === null || body.custom_domain === undefined) return { design, customDomain: null };
  const domain = customDomain(body.custom_domain, baseDomain);
  if ('problem' in domain) throw invalidBranding('custom_domain', domain.problem);
  return { design, customDomain: domain.domain };
}
