import { useLayoutEffect, useRef } from 'react';
import { brandCustomProperties, type BrandColors, type BrandTypography } from '../../../contracts/branding';
import { imageUrl } from '../../../src-portal/src/brand';
import { type Logo } from './brand-draft';

/**
 * The tenant's sign-in wall as the portal draws it (src-portal's SignInWall), scaled into a frame.
 * Brand values reach it only as CSS custom properties built by `brandCustomProperties` from checked
 * tokens, set through the CSSOM (the console's CSP allows no inline style sheets); text is text and
 * the logo an <img> data URL, where an SVG never runs script.
 */
export function BrandPreview(props: { productName: string; loginMessage: string; logo: Logo; tokens: { colors: BrandColors; typography: BrandTypography } }) {
  const frame = useRef<HTMLDivElement>(null);
  const { tokens } = props;
  useLayoutEffect(() => {
    const element = frame.current;
    if (element === null) return;
    for (const [name, value] of brandCustomProperties(tokens)) element.style.setProperty(name, value);
  }, [tokens]);
  const logo = props.logo === null ? null : props.logo.kind === 'svg' ? imageUrl(props.logo.svg, null) : imageUrl(null, props.logo.base64);
  const name = props.productName.trim() === '' ? 'Bulkhead' : props.productName.trim();
  return (
    <figure className="brand-preview-figure">
      <div className="brand-preview" ref={frame} data-testid="brand-preview" role="img" aria-label={`Preview of the sign-in wall of ${name}`}>
        <div className="brand-preview-card">
          {logo === null ? null : <img className="brand-preview-logo" src={logo} alt="" />}
          <p className="brand-preview-name">{name}</p>
          {props.loginMessage.trim() === '' ? null : <p className="brand-preview-message">{props.loginMessage}</p>}
          <p className="brand-preview-note">Sign in with your organization</p>
        </div>
      </div>
      <figcaption className="muted">The sign-in wall at the tenant&apos;s portal address, with these values. Unsaved until you save.</figcaption>
    </figure>
  );
}
