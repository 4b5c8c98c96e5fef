import Database from 'better-sqlite3';
import { migrate, type StoreKind } from './migrations';

/** Opens a store file with the pragmas every Bulkhead SQLite file uses, and migrates it. */
export function openStore(file: string, kind: StoreKind, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged write survives power loss, not just a process crash.
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted content is overwritten, so a destroyed tenant key does not linger in free pages.
    db.pragma('secure_delete = ON');
    migrate(db, kind);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
