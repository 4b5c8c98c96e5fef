import type pg from 'pg';
import type { LedgerSigningKeyStore } from '../ledger-signing-keys';
import { LEDGER_SIGNING_KEY_COLUMNS, ledgerSigningKeyFromRow, ledgerSigningKeyValues } from '../rows/ledger-signing-key-rows';
import { inTransaction, type Row } from './tenant-context';

const insert = `INSERT INTO bh.ledger_signing_keys (${LEDGER_SIGNING_KEY_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5)`;

/** Ledger signing keys in schema bh (a provider table: no tenant context); a partial unique index keeps one active. */
export function postgresLedgerSigningKeys(pool: pg.Pool): LedgerSigningKeyStore {
  return {
    list: async () => (await pool.query<Row>('SELECT * FROM bh.ledger_signing_keys ORDER BY created_at, key_id')).rows.map(ledgerSigningKeyFromRow),
    addFirst: async (key) => ((await pool.query<Row>(`${insert} ON CONFLICT DO NOTHING`, ledgerSigningKeyValues(key))).rowCount ?? 0) === 1,
    rotate: (key) =>
      inTransaction(pool, 'read write', async (client) => {
        await client.query('UPDATE bh.ledger_signing_keys SET retired_at = $1 WHERE retired_at IS NULL', [key.createdAt]);
        await client.query(insert, ledgerSigningKeyValues(key));
      }),
  };
}
