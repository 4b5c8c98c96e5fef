/** What the ledger verify thread (ledger-verify-worker.ts) is given and answers. */
export interface VerifyRange {
  /** The control store's file, opened read-only by the thread. */
  file: string;
  /** The ledger MAC key (never logged). */
  key: Uint8Array;
  ledgerId: string;
  /** Leaf index the range starts at (a multiple of a power of two at least the range's length). */
  start: number;
  /** The range's last seq. */
  end: number;
  /** The ledger's last stored seq when the verify began: nothing appended since is read. */
  last: number;
}

export interface VerifyRangeResult {
  /** The range's checked entries as perfect subtrees, largest first: [level, root]. */
  subtrees: [number, Uint8Array][];
  /** The first bad entry of the range (seq as verify names it), or null. */
  fault: { seq: number; reason: string } | null;
  /** Why the first stored tree node the range completes is wrong (forged, damaged or missing), or null. */
  nodeFault: string | null;
}
