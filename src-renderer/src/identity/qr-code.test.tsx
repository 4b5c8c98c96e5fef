import { cleanup, render, screen } from '@testing-library/react';
import jsQR from 'jsqr';
import { afterEach, describe, expect, it } from 'vitest';
import { groupSecret } from './copy-text';
import { QrCode } from './qr-code';

afterEach(cleanup);

/** Paints the SVG's modules (`M<x> <y>h1v1h-1z` squares, white around them) into pixels and reads it back with jsQR. */
function decode(svg: SVGSVGElement): string | null {
  const [minX = 0, , extent = 0] = (svg.getAttribute('viewBox') ?? '').split(' ').map(Number);
  const scale = 6;
  const size = extent * scale;
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255);
  const path = svg.querySelector('path')?.getAttribute('d') ?? '';
  for (const match of path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    const x = (Number(match[1]) - minX) * scale;
    const y = (Number(match[2]) - minX) * scale;
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const offset = ((y + dy) * size + (x + dx)) * 4;
        pixels[offset] = pixels[offset + 1] = pixels[offset + 2] = 0;
      }
    }
  }
  return jsQR(pixels, size, size)?.data ?? null;
}

describe('the enrollment QR code', () => {
  it('encodes the otpauth URI exactly, with a quiet zone, as an image with a name', () => {
    const uri = 'otpauth://totp/Bulkhead:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&period=30&digits=6&algorithm=SHA1&issuer=Bulkhead';
    render(<QrCode value={uri} label="QR code for alice" />);
    const svg = screen.getByRole('img', { name: 'QR code for alice' }) as unknown as SVGSVGElement;
    expect(svg.getAttribute('viewBox')).toMatch(/^-4 -4 \d+ \d+$/);
    expect(decode(svg)).toBe(uri);
  });

  it('has no inline styles or markup from strings (the CSP allows neither)', () => {
    const { container } = render(<QrCode value="otpauth://totp/Bulkhead:bob?secret=ABC" label="QR" />);
    expect(container.querySelector('[style]')).toBeNull();
    expect(container.innerHTML).not.toMatch(/<script|<foreignObject|href=/i);
  });
});

describe('the secret in groups', () => {
  it('reads in groups of four, the last one shorter', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('ABCDEF')).toBe('ABCD EF');
  });
});
