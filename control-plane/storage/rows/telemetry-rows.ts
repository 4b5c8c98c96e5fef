import type { StoredBatch, TelemetryResultRow } from '../telemetry-store';

/** A telemetry_results row as both engines select it (SQLite stores `ok` as 0/1). */
export interface ResultRow {
  test_id: string;
  ts: string;
  latency_ms: number | null;
  ok: boolean | number;
  batch_id: string;
  idx: number;
}

export interface BatchRow {
  batch_id: string;
  agent_id: string;
  received_at: string;
  first_ts: string | null;
  last_ts: string | null;
  result_count: number;
  flow_count: number;
  sealed: Buffer | null;
}

export const RESULT_COLUMNS = 'test_id, ts, latency_ms, ok, batch_id, idx';
export const BATCH_COLUMNS = 'batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, sealed';

export const toResult = (row: ResultRow): TelemetryResultRow => ({
  testId: row.test_id,
  ts: row.ts,
  latencyMs: row.latency_ms,
  ok: row.ok === true || row.ok === 1,
  batchId: row.batch_id,
  idx: row.idx,
});

export const toBatch = (row: BatchRow): StoredBatch => ({
  batchId: row.batch_id,
  agentId: row.agent_id,
  receivedAt: row.received_at,
  firstTs: row.first_ts,
  lastTs: row.last_ts,
  resultCount: row.result_count,
  flowCount: row.flow_count,
  sealed: row.sealed,
});

export const dayOf = (iso: string): string => iso.slice(0, 10);

/** First and last timestamp of a batch's results (ISO strings of one format sort as time). */
export function span(ts: readonly string[]): { first: string | null; last: string | null } {
  let first: string | null = null;
  let last: string | null = null;
  for (const value of ts) {
    if (first === null || value < first) first = value;
    if (last === null || value > last) last = value;
  }
  return { first, last };
}
