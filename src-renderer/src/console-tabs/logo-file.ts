// A logo picked with a file input, read in the renderer: SVG as text, PNG as base64. The control
// plane checks both again (the SVG profile, PNG structure and size); this refuses the obvious early.
import { BRANDING_LIMITS } from '../../../contracts/branding';
import { type Logo } from './brand-draft';

export type LogoRead = { logo: NonNullable<Logo> } | { problem: string };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export async function readLogo(file: File): Promise<LogoRead> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (PNG_SIGNATURE.every((byte, index) => bytes[index] === byte)) {
    if (bytes.byteLength > BRANDING_LIMITS.logoPngBytes) return { problem: `A PNG logo is at most ${BRANDING_LIMITS.logoPngBytes / 1024} KB.` };
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return { logo: { kind: 'png', base64: btoa(binary) } };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (/<svg[\s>]/i.test(text)) {
    if (text.length > BRANDING_LIMITS.logoSvgChars) return { problem: `An SVG logo is at most ${BRANDING_LIMITS.logoSvgChars / 1024} K characters.` };
    return { logo: { kind: 'svg', svg: text } };
  }
  return { problem: 'The logo must be an SVG or PNG file.' };
}
