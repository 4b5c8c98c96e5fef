import type { TenantRef } from './tenants';

/** One ingest batch, ready to store: clear columns per result, the details sealed once for the whole batch. */
export interface TelemetryBatchWrite {
  tenant: TenantRef;
  batchId: string;
  agentId: string;
  receivedAt: string;
  /** Columnar, one entry per result in batch order. */
  testIds: string[];
  ts: string[];
  latencyMs: (number | null)[];
  ok: boolean[];
  flowCount: number;
  /** Bytes of the request body (the ingest_bytes meter). */
  bytes: number;
  /** Result details and flow events, sealed with the tenant's data key (null when the batch has none). */
  sealed: Buffer | null;
}

export interface TelemetryResultRow {
  testId: string;
  ts: string;
  latencyMs: number | null;
  ok: boolean;
  batchId: string;
  /** Position of the result in its batch (opens its details in the sealed batch). */
  idx: number;
}

/** One test's results in a window: counts, and the latencies of answered probes, in no set order. */
export interface TestAggregate {
  testId: string;
  results: number;
  failures: number;
  latencies: Float64Array;
}

export interface StoredBatch {
  batchId: string;
  agentId: string;
  receivedAt: string;
  firstTs: string | null;
  lastTs: string | null;
  resultCount: number;
  flowCount: number;
  sealed: Buffer | null;
}

export interface TelemetryWindow {
  from: string;
  to: string;
  testId?: string | undefined;
}

/** Usage meters counted per tenant per UTC day, in the same transaction as what they count. */
export type UsageMeter = 'results_ingested' | 'ingest_bytes' | 'flow_events' | 'ai_calls';

/**
 * A tenant's telemetry, in the store its isolation model puts it (pooled, its own telemetry store,
 * or its silo). Every statement binds the tenant's id.
 */
export interface TelemetryStore {
  /**
   * Stores batches, possibly of many tenants, atomically per store; a batch id the tenant already
   * stored is skipped. Answers the `${tenantId}/${batchId}` keys that were duplicates. When this
   * resolves, every batch is durable.
   */
  writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>>;
  /**
   * The write lane of a tenant's batches: tenants with the same lane share a writer (and the
   * ingest writer's fair queue in front of it); different lanes commit side by side.
   */
  writeLane(tenant: TenantRef): string;
  /** Newest first, before the (ts, batchId, idx) position when given. */
  results(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): Promise<TelemetryResultRow[]>;
  /** Results in the window for summaries, oldest first, at most `limit`. */
  resultsForAnalysis(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<TelemetryResultRow[]>;
  /**
   * Per-test counts and latencies of the window, gathered by the store from its own layout with
   * no result rows made (what a summary needs), in test id order; null when the window holds more
   * than `limit` results. Optional: a store without it is summarised from resultsForAnalysis.
   */
  aggregates?(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<{ rows: number; tests: TestAggregate[] } | null>;
  batch(tenant: TenantRef, batchId: string): Promise<StoredBatch | null>;
  /** Batches carrying flow events whose first result or receipt falls in the window, newest first. */
  flowBatches(tenant: TenantRef, window: TelemetryWindow, limit: number, beforeReceivedAt?: { receivedAt: string; batchId: string }): Promise<StoredBatch[]>;
  addUsage(tenant: TenantRef, meter: UsageMeter, value: number, at: string): Promise<void>;
  usage(tenant: TenantRef, fromDay: string, toDay: string): Promise<{ day: string; meter: UsageMeter; value: number }[]>;
}
