import type { VerifyRangeResult } from '../sqlite/ledger-verify-protocol';

/** Where a PostgreSQL ledger's rows are (see postgres-ledger.ts `tables`). */
export interface PostgresLedgerTables {
  /** The tenant context its reads need (null: the provider ledger, none). */
  tenant: string | null;
  entries: string;
  nodes: string;
  /** The statement reading its head (`$1` binds the tenant on a tenant ledger). */
  head: string;
  /** The ledger's own rows: a WHERE clause on `$1` (the tenant), or null. */
  own: string | null;
}

/** What a PostgreSQL ledger verify thread (postgres-ledger-verify-worker.ts) is given: one aligned range. */
export interface PostgresVerifyRange extends PostgresLedgerTables {
  /** The app role's connection string (never logged). */
  connectionString: string;
  /** The ledger MAC key (never logged). */
  key: Uint8Array;
  ledgerId: string;
  /** The snapshot the coordinating transaction exported: every thread reads as of it. */
  snapshot: string;
  /** Leaf index the range starts at (a multiple of a power of two at least the range's length). */
  start: number;
  /** The range's last seq. */
  end: number;
  /** The ledger's last seq in the snapshot. */
  last: number;
}

/** Sent while it reads: the range's entries checked so far (each page), then one answer. */
export type PostgresVerifyMessage = { kind: 'progress'; checked: number } | { kind: 'done'; result: VerifyRangeResult };

/** A WHERE clause with the ledger's own condition (`$1`) first; `more` binds from `$2` on a tenant ledger. */
export function ownWhere(tables: Pick<PostgresLedgerTables, 'own'>, more: string[] = []): string {
  const clauses = [...(tables.own === null ? [] : [tables.own]), ...more];
  return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
}

/** An exported snapshot's id ("00000003-0000001B-1"): checked, since SET TRANSACTION SNAPSHOT takes no parameter. */
export const SNAPSHOT_ID = /^[0-9A-F]+(-[0-9A-F]+)+$/i;
