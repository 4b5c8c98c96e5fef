import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEntryBytes, entryLeafHash, entryMac, headMac } from './ledger-codec';
import { leafHash } from './merkle';

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

describe('ledger-codec leaf hashes', () => {
  it('entryLeafHash is leafHash of the canonical entry bytes, for any text (lone surrogates, 4-byte characters, past the scratch buffer)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constant('é'.repeat(9_000)), fc.constant('\ud800x'));
    fc.assert(
      fc.property(text, text, text, fc.option(text), text, fc.nat(), (ledgerId, actor, eventType, tenantId, details, seq) => {
        const entry = { ledgerId, seq, ts: '2026-12-06T03:00:00.000Z', actor, eventType, tenantId, detailsJson: JSON.stringify({ details }) };
        expect(entryLeafHash(entry)).toEqual(leafHash(canonicalEntryBytes(entry)));
      }),
      { numRuns: 500 },
    );
  });
});
