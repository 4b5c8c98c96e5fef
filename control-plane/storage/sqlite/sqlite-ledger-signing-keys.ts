import type Database from 'better-sqlite3';
import type { LedgerSigningKeyStore } from '../ledger-signing-keys';
import { LEDGER_SIGNING_KEY_COLUMNS, ledgerSigningKeyFromRow, ledgerSigningKeyValues } from '../rows/ledger-signing-key-rows';
import type { Mutex } from './connection';

const insert = `INSERT INTO ledger_signing_keys (${LEDGER_SIGNING_KEY_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?)`;

/**
 * Ledger signing keys in the control store; a partial unique index keeps one active. Writes take
 * the storage's write mutex: a write transaction holds the connection's BEGIN across awaits, and a
 * key written meanwhile would join (and roll back with) it.
 */
export function sqliteLedgerSigningKeys(db: Database.Database, mutex: Mutex): LedgerSigningKeyStore {
  return {
    list: () => Promise.resolve(db.prepare('SELECT * FROM ledger_signing_keys ORDER BY created_at, key_id').all().map(ledgerSigningKeyFromRow)),
    addFirst: (key) => mutex.run(() => Promise.resolve(db.prepare(`${insert} ON CONFLICT DO NOTHING`).run(...ledgerSigningKeyValues(key)).changes === 1)),
    rotate: (key) =>
      mutex.run(() => {
        db.transaction(() => {
          db.prepare('UPDATE ledger_signing_keys SET retired_at = ? WHERE retired_at IS NULL').run(key.createdAt);
          db.prepare(insert).run(...ledgerSigningKeyValues(key));
        }).immediate();
        return Promise.resolve();
      }),
  };
}
