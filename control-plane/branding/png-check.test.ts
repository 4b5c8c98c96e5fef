import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { checkPng, decodeBase64 } from './png-check';

const limits = { maxBytes: 256 * 1024, maxSide: 1024 };

function png(width: number, height: number, options: { interlace?: boolean; colorType?: 0 | 2 | 4 | 6 } = {}): Buffer {
  const image = new PNG({ width, height, colorType: options.colorType ?? 6, inputHasAlpha: true });
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 31) % 256;
  return PNG.sync.write(image, { colorType: options.colorType ?? 6 });
}

/** A chunk with its length and CRC. */
function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32Of(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

function crc32Of(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(width, 0);
  body.writeUInt32BE(height, 4);
  body.writeUInt8(8, 8);
  body.writeUInt8(6, 9);
  return chunk('IHDR', body);
}

describe('brand PNGs', () => {
  it('accepts real PNGs (RGBA, RGB, grayscale, interlaced): what it keeps still decodes to the same pixels', () => {
    for (const options of [{}, { colorType: 2 as const }, { colorType: 0 as const }, { interlace: true }]) {
      const bytes = png(37, 21, options);
      const verdict = checkPng(bytes, limits);
      expect('png' in verdict, JSON.stringify(options)).toBe(true);
      if (!('png' in verdict)) continue;
      expect([verdict.width, verdict.height]).toEqual([37, 21]);
      expect(PNG.sync.read(verdict.png).data.equals(PNG.sync.read(bytes).data)).toBe(true);
    }
  });

  it('drops metadata chunks (text) and keeps the image', () => {
    const bytes = png(4, 4);
    const withText = Buffer.concat([bytes.subarray(0, 33), chunk('tEXt', Buffer.from('Comment\0<script>alert(1)</script>', 'latin1')), bytes.subarray(33)]);
    const verdict = checkPng(withText, limits);
    expect('png' in verdict).toBe(true);
    if ('png' in verdict) {
      expect(verdict.png.includes(Buffer.from('script'))).toBe(false);
      expect(verdict.png.equals(bytes)).toBe(true);
    }
  });

  it.each([
    ['wrong magic bytes (a GIF)', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), /not a PNG/],
    ['a JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), /not a PNG/],
    ['the signature alone', MAGIC, /not a PNG/],
    ['too large in dimensions (before inflating anything)', Buffer.concat([MAGIC, ihdr(100_000, 100_000), chunk('IDAT', deflateSync(Buffer.alloc(10))), chunk('IEND', Buffer.alloc(0))]), /100000×100000 pixels/],
    ['a claimed size its data does not fill', Buffer.concat([MAGIC, ihdr(64, 64), chunk('IDAT', deflateSync(Buffer.alloc(10))), chunk('IEND', Buffer.alloc(0))]), /inflate/],
    ['more data than its size (a bomb cut short)', Buffer.concat([MAGIC, ihdr(1, 1), chunk('IDAT', deflateSync(Buffer.alloc(1_000_000))), chunk('IEND', Buffer.alloc(0))]), /inflate/],
    ['no IEND', Buffer.concat([MAGIC, ihdr(1, 1), chunk('IDAT', deflateSync(Buffer.alloc(5)))]), /IEND/],
    ['data after IEND', Buffer.concat([png(2, 2), chunk('tEXt', Buffer.from('x'))]), /after the IEND/],
    ['IHDR not first', Buffer.concat([MAGIC, chunk('gAMA', Buffer.alloc(4)), ihdr(1, 1)]), /IHDR is not the first/],
    ['an unknown critical chunk', Buffer.concat([MAGIC, ihdr(1, 1), chunk('XXXX', Buffer.alloc(1)), chunk('IDAT', deflateSync(Buffer.alloc(5))), chunk('IEND', Buffer.alloc(0))]), /unknown critical chunk/],
  ])('refuses %s', (_what, bytes, expected) => {
    const verdict = checkPng(bytes, limits);
    expect('problem' in verdict ? verdict.problem : 'accepted').toMatch(expected);
  });

  it('refuses a wrong CRC, a truncated file and a file over the byte limit', () => {
    const bytes = png(8, 8);
    const broken = Buffer.from(bytes);
    broken[20] = (broken[20] ?? 0) ^ 1;
    expect(checkPng(broken, limits)).toEqual({ problem: 'a IHDR chunk with a wrong CRC' });
    expect(checkPng(bytes.subarray(0, bytes.length - 5), limits)).toMatchObject({ problem: expect.stringMatching(/truncated|malformed/) as unknown });
    expect(checkPng(bytes, { maxBytes: 10, maxSide: 1024 })).toEqual({ problem: 'larger than 0.009765625 KiB' });
  });

  it('reads base64 strictly', () => {
    expect(decodeBase64('iVBORw0KGgo=')).not.toBeNull();
    for (const text of ['iVBORw0KGgo', 'iVBO Rw0KGgo=', 'iVBORw0KGgo-_==', 'data:image/png;base64,iVBORw0KGgo=']) expect(decodeBase64(text), text).toBeNull();
  });
});
