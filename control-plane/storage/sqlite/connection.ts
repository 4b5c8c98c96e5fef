import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate, type StoreKind } from './migrations';

/**
 * Store files are the owner's alone (0600): created so before SQLite opens them, and made so if an
 * older version left them readable. SQLite gives the -wal and -shm files it creates the same mode.
 */
function ownerOnly(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** The pragmas every Bulkhead SQLite connection runs (the writer thread's too). */
export function storePragmas(synchronous: 'FULL' | 'NORMAL' = 'FULL'): string[] {
  return [
    'journal_mode = WAL',
    // FULL: an acknowledged write survives power loss, not just a process crash.
    `synchronous = ${synchronous}`,
    'foreign_keys = ON',
    'busy_timeout = 5000',
    // Deleted content is overwritten, so a destroyed tenant key does not linger in free pages.
    'secure_delete = ON',
  ];
}

/** Opens a store file with the pragmas every Bulkhead SQLite file uses, and migrates it. */
export function openStore(file: string, kind: StoreKind, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): Database.Database {
  ownerOnly(file);
  const db = new Database(file);
  try {
    for (const pragma of storePragmas(options.synchronous)) db.pragma(pragma);
    migrate(db, kind);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A statement prepared once per connection: for reads on every request (token lookups, tenant by id). */
export function cachedStatement(db: Database.Database, sql: string): Database.Statement {
  let statements = statementCache.get(db);
  if (statements === undefined) {
    statements = new Map();
    statementCache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
