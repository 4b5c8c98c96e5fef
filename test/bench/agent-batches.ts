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

/** Each result's text before and after its timestamp, by position: only the timestamp changes between batches. */
const rowTexts = new WeakMap<readonly string[], { before: string[]; after: string[] }>();

function rowText(testIds: readonly string[], i: number): { before: string; after: string } {
  let texts = rowTexts.get(testIds);
  if (texts === undefined) {
    texts = { before: [], after: [] };
    rowTexts.set(testIds, texts);
  }
  if (texts.before[i] === undefined) {
    const ok = i % 50 !== 0;
    const error = ok ? '' : ',"error":"connect ETIMEDOUT","target":"https://service.example/health"';
    texts.before[i] = `{"test_id":${JSON.stringify(testIds[i % testIds.length])},"ts":"`;
    texts.after[i] = `Z","latency_ms":${5 + (i % 90)},"ok":${String(ok)}${error}}`;
  }
  return { before: texts.before[i] ?? '', after: texts.after[i] ?? '' };
}

/** Milliseconds as the three digits of an ISO timestamp. */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

/** The body of a batch from its seed. */
export function bodyOf(seed: BatchSeed, results: number, testIds: readonly string[]): string {
  // Written as text, byte for byte what JSON.stringify makes of the rows (objectBodyOf, checked in
  // test/helpers/agent-batches.test.ts): the agents share the machine's two cores with the server,
  // and building 500 objects, their dates and their JSON cost this process 1.25 µs per result, more
  // than half of its share in P1. Real agents run on other machines.
  let body = `{"batch_id":${JSON.stringify(seed.batchId)},"results":[`;
  let second = Number.NaN;
  let secondPrefix = '';
  for (let i = 0; i < results; i++) {
    const ms = seed.firstMs + i;
    const within = ms % 1000;
    if (ms - within !== second) {
      second = ms - within;
      secondPrefix = new Date(second).toISOString().slice(0, 20);
    }
    const { before, after } = rowText(testIds, i);
    body += `${i === 0 ? '' : ','}${before}${secondPrefix}${MILLIS[within] ?? ''}${after}`;
  }
  return `${body}]}`;
}

/** The same body built as objects and JSON.stringify'd: the reference bodyOf is checked against. */
export function objectBodyOf(seed: BatchSeed, results: number, testIds: readonly string[]): string {
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
