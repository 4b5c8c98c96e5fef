import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryMac, headMac } from './ledger-codec';

/** The MACs as they were defined with createHmac: the one-shot version must give the same bytes, so stored ledgers still verify. */
function reference(key: Buffer, label: string, ledgerId: string, value: number, digest: Uint8Array): Buffer {
  const u64 = Buffer.alloc(8);
  u64.writeBigUInt64BE(BigInt(value));
  return createHmac('sha256', key).update(label).update(ledgerId).update('\0').update(u64).update(digest).digest();
}

describe('ledger-codec MACs', () => {
  it('equal RFC 2104 HMAC-SHA256 for any key length, ledger id and size', () => {
    for (const key of [randomBytes(32), randomBytes(64), randomBytes(100), Buffer.alloc(0)]) {
      for (const ledgerId of ['provider', '11111111-1111-4111-8111-111111111111', 'ü'.repeat(300)]) {
        for (const value of [0, 1, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
          const digest = randomBytes(32);
          expect(entryMac(key, ledgerId, value, digest).equals(reference(key, 'entry\0', ledgerId, value, digest))).toBe(true);
          expect(headMac(key, ledgerId, value, digest).equals(reference(key, 'head\0', ledgerId, value, digest))).toBe(true);
        }
      }
    }
  });
});
