import type { PackedBatch } from './packed-telemetry';

/** The messages between the telemetry writer thread (telemetry-writer-worker.ts) and its owner (telemetry-writer-thread.ts). */

export interface WriteRequest {
  id: number;
  file: string;
  batches: PackedBatch[];
}

/** Close every connection to a file under this directory (its tenant is being removed). */
export interface ForgetRequest {
  id: number;
  forget: string;
}

/**
 * Remove up to `limit` rows of a deleted tenant's telemetry from a pooled cell, results first,
 * in a transaction of their own; `removed` 0 means none is left (and the WAL is truncated, so
 * the deleted rows' frames go too).
 */
export interface PurgeRequest {
  id: number;
  purge: { file: string; tenantId: string; limit: number };
}

/**
 * Add to a usage meter in a store file. On this thread rather than the main one: a write there
 * would wait, with the event loop stopped, for this thread's transaction in flight to commit.
 */
export interface UsageRequest {
  id: number;
  usage: { file: string; tenantId: string; day: string; meter: string; value: number };
}

/** Requests that are not batch writes: never counted as waiting writes, and run after a paused write. */
export type Upkeep = ForgetRequest | PurgeRequest | UsageRequest;

/** A failed write carries the error's code (SQLITE_FULL, SQLITE_IOERR_*, ...): the parent tells a full disk from a fault by it. */
export type WriteReply = { id: number; duplicates: string[]; removed?: number } | { id: number; error: string; code?: string };
export type Done = Exclude<WriteReply, { error: string }>;

export interface ThreadData {
  pragmas: string[];
  /** One Int32: write requests the main thread has posted. More than the thread took means one waits. */
  posted: SharedArrayBuffer;
  /** One Int32: transactions of the main thread waiting for, or holding, a file this thread writes. */
  holds: SharedArrayBuffer;
  /** Rows written between looks at whether another request waits. */
  pauseEvery: number;
}

