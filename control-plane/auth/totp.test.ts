import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { newTotpSecret, totpUri, verifyTotp } from './totp';

const ascii = (text: string) => new TextEncoder().encode(text);

// RFC 6238 Appendix B: 8-digit codes for the ASCII seeds below.
const seeds = {
  sha1: ascii('12345678901234567890'),
  sha256: ascii('12345678901234567890123456789012'),
  sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};
const vectors: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(vectors)('matches the RFC test vectors at T=%i', async (time, sha1, sha256, sha512) => {
    expect(await generate({ secret: seeds.sha1, epoch: time, digits: 8, algorithm: 'sha1' })).toBe(sha1);
    expect(await generate({ secret: seeds.sha256, epoch: time, digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(await generate({ secret: seeds.sha512, epoch: time, digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });

  const secret = newTotpSecret();
  const now = new Date('2026-11-22T10:00:15Z');
  const at = (offsetSeconds: number) => generate({ secret, epoch: Math.floor(now.getTime() / 1000) + offsetSeconds });

  it('accepts the current code and ±1 step of clock skew, not ±2', async () => {
    expect(await verifyTotp(secret, await at(0), now, null)).not.toBeNull();
    expect(await verifyTotp(secret, await at(-30), now, null)).not.toBeNull();
    expect(await verifyTotp(secret, await at(30), now, null)).not.toBeNull();
    expect(await verifyTotp(secret, await at(-60), now, null)).toBeNull();
    expect(await verifyTotp(secret, await at(60), now, null)).toBeNull();
  });

  it('accepts a code once: the same step, or an earlier one, after it was used is refused', async () => {
    const step = await verifyTotp(secret, await at(0), now, null);
    expect(step).not.toBeNull();
    expect(await verifyTotp(secret, await at(0), now, step)).toBeNull();
    expect(await verifyTotp(secret, await at(-30), now, step)).toBeNull();
    expect(await verifyTotp(secret, await at(30), now, step)).not.toBeNull();
  });

  it('builds an otpauth URI that authenticator apps read', () => {
    const uri = new URL(totpUri('ops', secret));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Bulkhead');
  });
});
