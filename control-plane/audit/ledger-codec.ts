import { createHmac, hkdfSync } from 'node:crypto';

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

/** The ledger MAC key, derived from the deployment key: without it no one can forge an entry or a head. */
export function deriveLedgerKey(deploymentKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', deploymentKey, Buffer.alloc(0), 'bulkhead/ledger-mac/v1', 32));
}

function u64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(value));
  return buffer;
}

export function entryMac(key: Buffer, ledgerId: string, seq: number, leafHash: Uint8Array): Buffer {
  return createHmac('sha256', key).update('entry\0').update(ledgerId).update('\0').update(u64(seq)).update(leafHash).digest();
}

export function headMac(key: Buffer, ledgerId: string, size: number, root: Uint8Array): Buffer {
  return createHmac('sha256', key).update('head\0').update(ledgerId).update('\0').update(u64(size)).update(root).digest();
}
