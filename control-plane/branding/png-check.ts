import { crc32, inflateSync } from 'node:zlib';

/**
 * A brand's PNG (logo or favicon), checked without a decoder dependency: the magic bytes, every
 * chunk's length and CRC, IHDR first with dimensions in bounds (before anything is inflated, so a
 * small file cannot claim a huge image), IEND last and nothing after it, and the image data inflating
 * to exactly what IHDR says (with a cap on the output). What is stored keeps the chunks that
 * change how the image looks and drops the rest (text, EXIF and other metadata), so nothing a
 * tenant wrote rides along in it.
 */

const MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Chunks kept: the critical ones and those that change the rendering. */
const KEPT = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'pHYs']);

/** Samples per pixel by color type (grayscale, RGB, palette, grayscale + alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export type PngVerdict = { png: Buffer; width: number; height: number } | { problem: string };

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 text as bytes, strictly (no white space, no URL alphabet, padding where due). */
export function decodeBase64(text: string): Buffer | null {
  return STRICT_BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** The bytes of the interlaced or plain image IHDR describes, with the filter byte of every row. */
function expectedDataLength(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  // Adam7: seven passes, each a reduced image.
  const passes: [number, number, number, number][] = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

export function checkPng(bytes: Buffer, limits: { maxBytes: number; maxSide: number }): PngVerdict {
  if (bytes.length > limits.maxBytes) return { problem: `larger than ${limits.maxBytes / 1024} KiB` };
  if (bytes.length < MAGIC.length + 12 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return { problem: 'not a PNG (its first bytes are not the PNG signature)' };
  const kept: Buffer[] = [MAGIC];
  const data: Buffer[] = [];
  let offset = MAGIC.length;
  let header: { width: number; height: number; bitsPerPixel: number; interlaced: boolean; colorType: number } | null = null;
  let ended = false;
  while (offset < bytes.length) {
    if (ended) return { problem: 'data after the IEND chunk' };
    if (offset + 12 > bytes.length) return { problem: 'a truncated chunk' };
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || length > bytes.length - offset - 12) return { problem: 'a malformed chunk' };
    const chunk = bytes.subarray(offset, offset + 12 + length);
    if (crc32(chunk.subarray(4, 8 + length)) !== chunk.readUInt32BE(8 + length)) return { problem: `a ${type} chunk with a wrong CRC` };
    const body = chunk.subarray(8, 8 + length);
    if (header === null && type !== 'IHDR') return { problem: 'IHDR is not the first chunk' };
    if (type === 'IHDR') {
      if (header !== null || length !== 13) return { problem: 'a malformed IHDR chunk' };
      const width = body.readUInt32BE(0);
      const height = body.readUInt32BE(4);
      const depth = body.readUInt8(8);
      const colorType = body.readUInt8(9);
      const channels = CHANNELS[colorType];
      if (channels === undefined || !(DEPTHS[colorType] ?? []).includes(depth) || body.readUInt8(10) !== 0 || body.readUInt8(11) !== 0 || body.readUInt8(12) > 1) return { problem: 'an IHDR chunk PNG does not define' };
      if (width === 0 || height === 0) return { problem: 'an empty image' };
      if (width > limits.maxSide || height > limits.maxSide) return { problem: `${width}×${height} pixels: at most ${limits.maxSide}×${limits.maxSide}` };
      header = { width, height, bitsPerPixel: channels * depth, interlaced: body.readUInt8(12) === 1, colorType };
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      ended = true;
    } else if (type[0] === type[0]?.toUpperCase() && !KEPT.has(type)) {
      return { problem: `an unknown critical chunk ${type}` };
    }
    if (KEPT.has(type)) kept.push(chunk);
    offset += 12 + length;
  }
  if (header === null || !ended) return { problem: 'no IEND chunk' };
  if (data.length === 0) return { problem: 'no image data' };
  if (header.colorType === 3 && !kept.some((chunk) => chunk.toString('latin1', 4, 8) === 'PLTE')) return { problem: 'a palette image without a palette' };
  const expected = expectedDataLength(header.width, header.height, header.bitsPerPixel, header.interlaced);
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(data), { maxOutputLength: expected + 1 });
  } catch {
    return { problem: 'image data that does not inflate to the size its header says' };
  }
  if (inflated.length !== expected) return { problem: 'image data that does not inflate to the size its header says' };
  return { png: Buffer.concat(kept), width: header.width, height: header.height };
}
