// Reads over a day of telemetry (#22): a test's summary over 86,400 results (one a second) and a
// page of 500 results in time order, on the chunk layout and on the row-per-result layout it
// replaced, in the same run; and each layout's bytes on disk per result. The day holds four tests
// at one result a second each, sent as agents send them: batches of 500 cycling through the tests.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openStore } from '../../control-plane/storage/sqlite/connection';
import { chunkAggregates, newestResults } from '../../control-plane/storage/sqlite/chunk-reads';
import { packBatch, preparePacked, writePacked } from '../../control-plane/storage/sqlite/packed-telemetry';
import type { TelemetryBatchWrite } from '../../control-plane/storage/types';
import { summarize, testStats } from '../../control-plane/telemetry/telemetry-analysis';
import { openRowPerResultStore, ROW_PER_RESULT_INSERT, rowPerResultNewest, rowPerResultOldest } from '../helpers/row-per-result';

export const DAY_START = Date.UTC(2026, 11, 1);
const PER_TEST = 86_400;
export const TESTS = Array.from({ length: 4 }, () => randomUUID());
export const TENANT = randomUUID();

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The day's batches (the same ones for both layouts): result i is test i % 4 at second floor(i / 4). */
export function dayBatches(): TelemetryBatchWrite[] {
  const batches: TelemetryBatchWrite[] = [];
  const total = PER_TEST * TESTS.length;
  for (let first = 0; first < total; first += 500) {
    const n = Math.min(500, total - first);
    const index = Array.from({ length: n }, (_, k) => first + k);
    batches.push({
      tenant: { id: TENANT, isolationModel: 'pooled' },
      batchId: randomUUID(),
      agentId: 'agent-1',
      receivedAt: new Date(DAY_START + Math.floor((first + n) / TESTS.length) * 1000).toISOString(),
      testIds: index.map((i) => TESTS[i % TESTS.length] ?? ''),
      ts: index.map((i) => new Date(DAY_START + Math.floor(i / TESTS.length) * 1000).toISOString()),
      latencyMs: index.map((i) => (i % 97 === 0 ? null : 5 + (i % 90) + (i % 7) / 4)),
      ok: index.map((i) => i % 50 !== 0),
      flowCount: 0,
      bytes: 0,
      sealed: null,
    });
  }
  return batches;
}

function fillChunks(db: Database.Database, day: readonly TelemetryBatchWrite[]): void {
  const statements = preparePacked(db);
  const batches = day.map(packBatch);
  for (let i = 0; i < batches.length; i += 20) {
    db.transaction(() => writePacked(statements, batches.slice(i, i + 20), { duplicates: [], waitsForPending: false }, { batch: 0, row: 0, pendingFrom: null }, () => false, 64)).immediate();
  }
}

function fillRows(db: Database.Database, batches: readonly TelemetryBatchWrite[]): void {
  const insertBatch = db.prepare('INSERT INTO telemetry_batches (tenant_id, batch_id, agent_id, received_at, first_ts, last_ts, result_count, flow_count, bytes, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, NULL)');
  const insert = db.prepare(ROW_PER_RESULT_INSERT);
  for (let b = 0; b < batches.length; b += 20) {
    db.transaction(() => {
      for (const batch of batches.slice(b, b + 20)) {
        insertBatch.run(TENANT, batch.batchId, batch.agentId, batch.receivedAt, batch.ts[0], batch.ts.at(-1), batch.ts.length);
        batch.ts.forEach((ts, i) => insert.run(TENANT, batch.testIds[i], ts, batch.latencyMs[i], batch.ok[i] === true ? 1 : 0, batch.batchId, i));
      }
    })();
  }
}

/** Median milliseconds of `runs` calls, after two warm-up calls; the last answer is checked by the caller. */
function timed<T>(runs: number, read: () => T): { ms: number; answer: T } {
  let answer = read();
  read();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    answer = read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: round(times[Math.floor(times.length / 2)] ?? 0, 3), answer };
}

const bytesOf = (file: string) => statSync(file).size;

export function telemetryReadFigures(runs = 15): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-read-bench-'));
  try {
    const chunkFile = join(dir, 'chunks.db');
    const rowFile = join(dir, 'rows.db');
    const build = openStore(chunkFile, 'telemetry', { synchronous: 'NORMAL' });
    const day = dayBatches();
    fillChunks(build, day);
    build.close();
    const buildRows = openRowPerResultStore(rowFile, 'telemetry', 'OFF');
    fillRows(buildRows, day);
    buildRows.close();
    // Closed: checkpointed, the WAL gone. Both files hold the same day (batch rows included).
    const stored = PER_TEST * TESTS.length;
    const disk = { chunk_layout_bytes_per_result: round(bytesOf(chunkFile) / stored, 1), row_layout_bytes_per_result: round(bytesOf(rowFile) / stored, 1) };

    const chunks = openStore(chunkFile, 'telemetry');
    const rows = openRowPerResultStore(rowFile, 'telemetry');
    try {
      const window = { from: new Date(DAY_START).toISOString(), to: new Date(DAY_START + 86_400_000 - 1).toISOString() };
      const oneTest = { ...window, testId: TESTS[0] };
      // What GET /v1/telemetry/summary reads on each layout (the chunk store summarises its columns).
      const summaryChunks = timed(runs, () => chunkAggregates(chunks, TENANT, oneTest, 200_000)?.tests.map((test) => testStats(test.testId, test.results, test.failures, test.latencies)));
      const summaryRows = timed(runs, () => summarize(rowPerResultOldest(rows, TENANT, oneTest, 200_001)));
      const pageChunks = timed(runs, () => newestResults(chunks, TENANT, window, 501));
      const pageRows = timed(runs, () => rowPerResultNewest(rows, TENANT, window, 501));
      // The same answers, or the timings mean nothing.
      if (JSON.stringify(summaryChunks.answer) !== JSON.stringify(summaryRows.answer)) throw new Error('the layouts summarise differently');
      if (JSON.stringify(pageChunks.answer) !== JSON.stringify(pageRows.answer)) throw new Error('the layouts page differently');
      const results = summaryChunks.answer?.[0]?.results ?? 0;
      return {
        summary_results: results,
        summary_ms: summaryChunks.ms,
        summary_ms_row_layout: summaryRows.ms,
        page_500_ms: pageChunks.ms,
        page_500_ms_row_layout: pageRows.ms,
        ...disk,
        stored_results: stored,
        runs,
      };
    } finally {
      chunks.close();
      rows.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
