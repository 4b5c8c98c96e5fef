import { useEffect, useState } from 'react';
import type { ResolvedBrand } from '../../contracts/branding';
import { applyBrand, brandFrom, DEFAULT_BRAND, imageUrl } from './brand';

/**
 * The tenant portal's sign-in wall: the brand of the host it is served on (product name, logo,
 * colors, typography, login message), or the default brand. Brand text is rendered as text,
 * images only as <img> data URLs, colors and typography only as CSS custom properties.
 * Signing in goes to the tenant's own IdP (GET /portal/login); a failed sign-in comes back with an
 * error code, shown as text.
 */
export function SignInWall({ loadBrand, signInError = null }: { loadBrand: () => Promise<unknown>; signInError?: string | null }) {
  const [brand, setBrand] = useState<ResolvedBrand | null>(null);

  useEffect(() => {
    let live = true;
    void loadBrand()
      .then((answer) => brandFrom(answer))
      .catch(() => DEFAULT_BRAND)
      .then((resolved) => {
        if (!live) return;
        applyBrand(document.documentElement, resolved);
        document.title = `Sign in · ${resolved.product_name}`;
        setBrand(resolved);
      });
    return () => {
      live = false;
    };
  }, [loadBrand]);

  if (brand === null) return <main className="wall" aria-busy="true" />;
  const logo = imageUrl(brand.logo_svg, brand.logo_png_base64);
  return (
    <main className="wall" data-brand-source={brand.source}>
      <section className="card" aria-labelledby="product-name">
        {logo === null ? null : <img className="logo" src={logo} alt={`${brand.product_name} logo`} />}
        <h1 id="product-name">{brand.product_name}</h1>
        {brand.login_message === null ? null : <p className="message">{brand.login_message}</p>}
        {brand.tenant_slug === null ? (
          <p className="note">This address does not belong to an organization.</p>
        ) : (
          <a className="sign-in" href="/portal/login">
            Sign in
          </a>
        )}
        {signInError === null ? null : (
          <p className="error" role="alert">
            Sign-in failed ({signInError.slice(0, 60)}).
          </p>
        )}
      </section>
    </main>
  );
}
