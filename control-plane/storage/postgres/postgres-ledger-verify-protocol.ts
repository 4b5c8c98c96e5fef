/** What the PostgreSQL ledger verify thread (postgres-ledger-verify-worker.ts) is given and answers. */
export interface PostgresVerifyJob {
  /** The app role's connection string (never logged). */
  connectionString: string;
  /** The ledger MAC key (never logged). */
  key: Uint8Array;
  ledgerId: string;
  /** Where the ledger's rows are, and the tenant context their reads need (null: none). */
  tenant: string | null;
  entries: string;
  nodes: string;
  head: string;
  /** The ledger's own rows: a WHERE clause on `$1` (the tenant), or none. */
  own: string | null;
}

/** Sent while it reads: entries checked so far (each page), then one answer. */
export type PostgresVerifyMessage =
  | { kind: 'progress'; checked: number; last: number }
  | {
      kind: 'done';
      /** The checked entries as perfect subtrees, largest first: [level, root]. */
      subtrees: [number, Uint8Array][];
      fault: { seq: number; reason: string } | null;
      nodeFault: string | null;
      /** The head as stored, in the same snapshot as the entries (null: none). */
      head: { size: number; root: Uint8Array; frontier: Uint8Array; mac: Uint8Array } | null;
    };
