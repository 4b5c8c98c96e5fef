import { describe, expect, it } from 'vitest';
import { BRANDING_LIMITS } from '../../../contracts/branding';
import { readLogo } from './logo-file';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('reading a logo file in the renderer', () => {
  it('reads a PNG (by its signature, whatever its name) as base64 and an SVG as text', async () => {
    const png = new File([new Uint8Array([...PNG_HEAD, 1, 2, 3])], 'logo.bin');
    expect(await readLogo(png)).toEqual({ logo: { kind: 'png', base64: btoa(String.fromCharCode(...PNG_HEAD, 1, 2, 3)) } });
    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>';
    expect(await readLogo(new File([svg], 'logo.svg'))).toEqual({ logo: { kind: 'svg', svg } });
  });

  it('refuses another format and files past the contract limits, before anything is sent', async () => {
    expect(await readLogo(new File(['GIF89a'], 'logo.gif'))).toEqual({ problem: 'The logo must be an SVG or PNG file.' });
    const bigPng = new Uint8Array(BRANDING_LIMITS.logoPngBytes + 1);
    bigPng.set(PNG_HEAD);
    expect(await readLogo(new File([bigPng], 'big.png'))).toEqual({ problem: 'A PNG logo is at most 256 KB.' });
    expect(await readLogo(new File([`<svg>${' '.repeat(BRANDING_LIMITS.logoSvgChars)}</svg>`], 'big.svg'))).toEqual({ problem: 'An SVG logo is at most 64 K characters.' });
  });
});
