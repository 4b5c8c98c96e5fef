import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { TenantRef } from '../tenants';
import { migrate, type StoreKind } from './migrations';

/*
 * What every SQLite store of this folder shares: how a store file is opened, how statements are
 * prepared and written, and what a write transaction hands the stores.
 */

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

/** An INSERT of these columns, each bound by name (`@column`): run it with a row's columns. */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`;
}

/** An UPDATE of these columns of the row with the `key` columns' values, each bound by name. */
export function updateSql(table: string, columns: readonly string[], key: readonly string[] = ['tenant_id', 'id']): string {
  return `UPDATE ${table} SET ${columns.map((column) => `${column} = @${column}`).join(', ')} WHERE ${key.map((column) => `${column} = @${column}`).join(' AND ')}`;
}

/** A write transaction's stores: the control store, and a tenant's control store (a silo joins the transaction on first use). */
export interface SqliteTx {
  readonly control: Database.Database;
  store(tenant: TenantRef): Database.Database;
}

/** Every write answers a promise: the interfaces are async so a networked engine fits. */
export const done = Promise.resolve();

/** Serializes transactions on the one control connection (an async callback must not interleave with another). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
