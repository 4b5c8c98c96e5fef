import { describe, expect, it } from 'vitest';
import { LEDGER_SIGNING_KEY_COLUMNS, ledgerSigningKeyFromRow, ledgerSigningKeyValues } from './ledger-signing-key-rows';

describe('ledger signing key rows', () => {
  it('maps a row both ways and refuses a row without its sealed key', () => {
    const record = { keyId: 'ab', publicKeyPem: 'pem', sealedPrivateKey: Buffer.from([1, 2]), createdAt: '2026-01-01T00:00:00.000Z', retiredAt: null };
    const values = ledgerSigningKeyValues(record);
    const row = Object.fromEntries(LEDGER_SIGNING_KEY_COLUMNS.map((column, i) => [column, values[i]]));
    expect(ledgerSigningKeyFromRow(row)).toEqual(record);
    expect(() => ledgerSigningKeyFromRow({ ...row, sealed_private_key: null })).toThrow();
  });
});
