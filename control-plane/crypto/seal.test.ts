import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal, SealError } from './seal';

const key = randomBytes(32);
const purpose = 'bulkhead/test/purpose';
const HEADER = 1 + 12 + 16;

describe('seal / open (AES-256-GCM)', () => {
  it('round-trips, including an empty plaintext', () => {
    const plaintext = Buffer.from('the tenant data key and other secrets');
    expect(open(key, seal(key, plaintext, purpose), purpose).equals(plaintext)).toBe(true);
    expect(open(key, seal(key, Buffer.alloc(0), purpose), purpose)).toHaveLength(0);
  });

  it('lays out version 1, a 12-byte IV, a 16-byte tag, then ciphertext as long as the plaintext, with no plaintext in clear', () => {
    const plaintext = Buffer.from('-----BEGIN PRIVATE KEY----- secret');
    const sealed = seal(key, plaintext, purpose);
    expect(sealed[0]).toBe(1);
    expect(sealed).toHaveLength(HEADER + plaintext.length);
    expect(sealed.includes(plaintext)).toBe(false);
    expect(sealed.toString('latin1')).not.toContain('PRIVATE KEY');
  });

  it('uses a fresh IV every time: sealing the same value twice gives different bytes that both open', () => {
    const plaintext = Buffer.from('same value');
    const a = seal(key, plaintext, purpose);
    const b = seal(key, plaintext, purpose);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
    expect(open(key, a, purpose).equals(open(key, b, purpose))).toBe(true);
  });

  it('refuses the wrong associated data (another purpose or tenant)', () => {
    const sealed = seal(key, Buffer.from('secret'), 'bulkhead/operator-totp/a');
    expect(() => open(key, sealed, 'bulkhead/operator-totp/b')).toThrow(SealError);
    expect(() => open(key, sealed, '')).toThrow(/failed authentication/);
  });

  it('refuses the wrong key', () => {
    const sealed = seal(key, Buffer.from('secret'), purpose);
    expect(() => open(randomBytes(32), sealed, purpose)).toThrow(/failed authentication/);
  });

  it('refuses every single flipped bit in every byte (version, IV, tag, ciphertext)', () => {
    const sealed = seal(key, Buffer.from('sixteen byte msg'), purpose);
    let refused = 0;
    for (let index = 0; index < sealed.length; index += 1) {
      for (const bit of [0x01, 0x80]) {
        const tampered = Buffer.from(sealed);
        tampered[index] = (tampered[index] ?? 0) ^ bit;
        expect(() => open(key, tampered, purpose), `byte ${index} bit ${bit}`).toThrow(SealError);
        refused += 1;
      }
    }
    expect(refused).toBe(sealed.length * 2);
  });

  it('refuses an unknown version byte before trying to decrypt', () => {
    const sealed = seal(key, Buffer.from('secret'), purpose);
    for (const version of [0, 2, 255]) {
      const other = Buffer.from(sealed);
      other[0] = version;
      expect(() => open(key, other, purpose)).toThrow(/not a sealed value of a known version/);
    }
  });

  it('refuses truncated values: shorter than the header, and with ciphertext cut off', () => {
    const sealed = seal(key, Buffer.from('secret'), purpose);
    expect(() => open(key, sealed.subarray(0, HEADER - 1), purpose)).toThrow(/known version/);
    expect(() => open(key, Buffer.alloc(0), purpose)).toThrow(SealError);
    expect(() => open(key, sealed.subarray(0, sealed.length - 1), purpose)).toThrow(/failed authentication/);
    expect(() => open(key, Buffer.concat([sealed, Buffer.from([0])]), purpose)).toThrow(/failed authentication/);
  });

  it('refuses keys that are not 32 bytes, both ways', () => {
    expect(() => seal(randomBytes(16), Buffer.from('x'), purpose)).toThrow(/must be 32 bytes/);
    const sealed = seal(key, Buffer.from('x'), purpose);
    expect(() => open(key.subarray(0, 31), sealed, purpose)).toThrow(/must be 32 bytes/);
  });
});
