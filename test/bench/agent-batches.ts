// Batch bodies as probe agents send them, shared by the benchmark and its noisy-agent process.
import { randomUUID } from 'node:crypto';

/** Test ids for rows written around the server (raw inserts); through the server, each tenant's own. */
export const TEST_IDS = Array.from({ length: 20 }, () => randomUUID());

/** Results are timestamped as agents stamp them: increasing, one millisecond apart across all batches. */
let nextResultMs = Date.now() - 6 * 3_600_000;

/** What makes a batch body: sent again, it is rebuilt from this, byte for byte. */
export interface BatchSeed {
  batchId: string;
  firstMs: number;
}

/** The next batch of `results`: its own id and the next increasing timestamps. */
export function nextBatch(results: number): BatchSeed {
  const seed = { batchId: randomUUID(), firstMs: nextResultMs };
  nextResultMs += results;
  return seed;
}

/** A batch body as an agent sends it: its own id, fresh increasing timestamps, an error on every 50th result. */
export function batchBody(batchId: string, results: number, testIds: readonly string[]): string {
  const seed = nextBatch(results);
  return bodyOf({ batchId, firstMs: seed.firstMs }, results, testIds);
}

/** The body of a batch from its seed. */
export function bodyOf(seed: BatchSeed, results: number, testIds: readonly string[]): string {
  const { batchId } = seed;
  const rows = Array.from({ length: results }, (_, i) => ({
    test_id: testIds[i % testIds.length],
    ts: new Date(seed.firstMs + i).toISOString(),
    latency_ms: 5 + (i % 90),
    ok: i % 50 !== 0,
    ...(i % 50 === 0 ? { error: 'connect ETIMEDOUT', target: 'https://service.example/health' } : {}),
  }));
  return JSON.stringify({ batch_id: batchId, results: rows });
}
