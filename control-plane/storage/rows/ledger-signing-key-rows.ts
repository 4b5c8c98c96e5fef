import { z } from 'zod';
import type { LedgerSigningKeyRecord } from '../ledger-signing-keys';
import { bytes, optionalText, text } from './columns';

/** The row of ledger_signing_keys, the same on both engines. */
const Row = z.object({ key_id: text, public_key_pem: text, sealed_private_key: bytes, created_at: text, retired_at: optionalText });

export function ledgerSigningKeyFromRow(value: unknown): LedgerSigningKeyRecord {
  const row = Row.parse(value);
  return { keyId: row.key_id, publicKeyPem: row.public_key_pem, sealedPrivateKey: row.sealed_private_key, createdAt: row.created_at, retiredAt: row.retired_at };
}

/** The record's columns in the order of LEDGER_SIGNING_KEY_COLUMNS. */
export const LEDGER_SIGNING_KEY_COLUMNS = ['key_id', 'public_key_pem', 'sealed_private_key', 'created_at', 'retired_at'] as const;

export function ledgerSigningKeyValues(key: LedgerSigningKeyRecord): unknown[] {
  return [key.keyId, key.publicKeyPem, key.sealedPrivateKey, key.createdAt, key.retiredAt];
}
