import { hash, hkdfSync } from 'node:crypto';
import { leafHash, leafHashFilled } from './merkle';

/**
 * How ledger entries become Merkle leaves, and how entries and tree heads are authenticated.
 * A leaf is `SHA-256(0x00 ‖ canonical entry)` (RFC 6962); the canonical entry is a JSON array in a
 * fixed order with object keys sorted, so the same entry always hashes the same on any engine.
 */
export interface CanonicalEntry {
  ledgerId: string;
  seq: number;
  ts: string;
  actor: string;
  eventType: string;
  tenantId: string | null;
  /** The details as stored: canonical JSON text (see canonicalDetails). */
  detailsJson: string;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** The details as stored: canonical JSON text. */
export function canonicalDetails(details: Record<string, unknown>): string {
  return JSON.stringify(sortKeys(details));
}

/** The bytes a leaf hashes. The stored details text is embedded as is, so verifying needs no JSON parsing. */
export function canonicalEntryBytes(entry: CanonicalEntry): Buffer {
  const head = JSON.stringify([1, entry.ledgerId, entry.seq, entry.ts, entry.actor, entry.eventType, entry.tenantId]);
  return Buffer.from(`${head.slice(0, -1)},${entry.detailsJson}]`, 'utf8');
}

/**
 * leafHash(canonicalEntryBytes(entry)), written straight into the hash's scratch buffer (the same
 * UTF-8 encoder, the same bytes): appends and verify compute one per entry, and building each
 * entry as a string and then a Buffer was a large part of that.
 */
export function entryLeafHash(entry: CanonicalEntry): Buffer {
  const head = JSON.stringify([1, entry.ledgerId, entry.seq, entry.ts, entry.actor, entry.eventType, entry.tenantId]);
  const filled = leafHashFilled((into, at, room) => {
    // At most 3 UTF-8 bytes per UTF-16 unit: a bound that needs no measuring.
    if ((head.length + entry.detailsJson.length) * 3 + 1 > room) return -1;
    let end = at + into.write(head, at, 'utf8');
    into[end - 1] = 0x2c; // the head's closing ']' becomes ',' before the details
    end += into.write(entry.detailsJson, end, 'utf8');
    into[end] = 0x5d; // ']'
    return end + 1;
  });
  return filled ?? leafHash(canonicalEntryBytes(entry));
}

/** The ledger MAC key, derived from the deployment key: without it no one can forge an entry or a head. */
export function deriveLedgerKey(deploymentKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', deploymentKey, Buffer.alloc(0), 'bulkhead/ledger-mac/v1', 32));
}

/**
 * HMAC-SHA256 (RFC 2104) with node:crypto's one-shot hash over reused pads: H((K⊕opad) ‖ H((K⊕ipad) ‖ m)).
 * The same bytes as createHmac('sha256', key), which makes a native Hmac object per call: appends
 * and verify compute one per entry, and that object was a large part of their time.
 */
const BLOCK = 64;
const padsByKey = new WeakMap<Buffer, { inner: Buffer; outer: Buffer }>();

function pads(key: Buffer): { inner: Buffer; outer: Buffer } {
  let found = padsByKey.get(key);
  if (found === undefined) {
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? hash('sha256', key, 'buffer') : key).copy(block);
    const inner = Buffer.alloc(BLOCK + 256);
    const outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      inner[i] = (block[i] as number) ^ 0x36;
      outer[i] = (block[i] as number) ^ 0x5c;
    }
    found = { inner, outer };
    padsByKey.set(key, found);
  }
  return found;
}

function hmac(key: Buffer, label: string, ledgerId: string, value: number, digest: Uint8Array): Buffer {
  const { inner, outer } = pads(key);
  const id = Buffer.from(ledgerId, 'utf8');
  const length = BLOCK + label.length + id.length + 1 + 8 + digest.length;
  // Inputs longer than the scratch pad (a very long ledger id) take a fresh buffer.
  const input = length <= inner.length ? inner : Buffer.concat([inner.subarray(0, BLOCK), Buffer.alloc(length - BLOCK)]);
  let at = BLOCK + input.write(label, BLOCK, 'latin1');
  at += id.copy(input, at);
  input[at++] = 0;
  input.writeBigUInt64BE(BigInt(value), at);
  at += 8;
  input.set(digest, at);
  outer.set(hash('sha256', input.subarray(0, length), 'buffer'), BLOCK);
  return hash('sha256', outer, 'buffer');
}

export function entryMac(key: Buffer, ledgerId: string, seq: number, leafHash: Uint8Array): Buffer {
  return hmac(key, 'entry\0', ledgerId, seq, leafHash);
}

export function headMac(key: Buffer, ledgerId: string, size: number, root: Uint8Array): Buffer {
  return hmac(key, 'head\0', ledgerId, size, root);
}
