import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp, newTotpSecret, totpUri } from './totp';

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
    expect((await checkTotp(secret, await at(0), now, null)).kind).toBe('ok');
    expect((await checkTotp(secret, await at(-30), now, null)).kind).toBe('ok');
    expect((await checkTotp(secret, await at(30), now, null)).kind).toBe('ok');
    expect((await checkTotp(secret, await at(-60), now, null)).kind).toBe('wrong');
    expect((await checkTotp(secret, await at(60), now, null)).kind).toBe('wrong');
  });

  it('accepts a code once: the same step, or an earlier one, after it was used is a replay', async () => {
    const first = await checkTotp(secret, await at(0), now, null);
    if (first.kind !== 'ok') throw new Error('the current code was refused');
    expect(await checkTotp(secret, await at(0), now, first.step)).toEqual({ kind: 'replayed' });
    expect(await checkTotp(secret, await at(-30), now, first.step)).toEqual({ kind: 'replayed' });
    expect(await checkTotp(secret, await at(30), now, first.step)).toEqual({ kind: 'ok', step: first.step + 1 });
  });

  it('tells a wrong code from a replayed one', async () => {
    const code = await at(0);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await checkTotp(secret, wrong, now, null)).toEqual({ kind: 'wrong' });
    expect(await checkTotp(secret, wrong, now, 0)).toEqual({ kind: 'wrong' });
  });

  it('builds an otpauth URI that authenticator apps read', () => {
    const uri = new URL(totpUri('ops', secret));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Bulkhead');
  });
});
