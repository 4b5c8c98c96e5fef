import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_MAX_RESULTS, CHUNK_WINDOW_MS, chunksOf, type Chunk } from './telemetry-chunk-split';

/** chunksOf as it was before its fast path: Date.parse, one key string per result, no canonical hint. */
function chunksOfReference(testIds: readonly string[], ts: readonly string[], latencyMs: ArrayLike<number>, ok: ArrayLike<number>): Chunk[] {
  const open = new Map<string, Chunk>();
  const chunks: Chunk[] = [];
  for (let i = 0; i < testIds.length; i++) {
    const testId = testIds[i] ?? '';
    const text = ts[i] ?? '';
    const ms = Date.parse(text);
    const key = `${testId}\n${Math.floor(ms / CHUNK_WINDOW_MS)}`;
    let chunk = open.get(key);
    if (chunk === undefined || chunk.results.length >= CHUNK_MAX_RESULTS) {
      chunk = { testId, firstMs: ms, lastMs: ms, results: [] };
      open.set(key, chunk);
      chunks.push(chunk);
    }
    const latency = latencyMs[i] ?? Number.NaN;
    chunk.results.push({ idx: i, ms, ts: text, latencyMs: Number.isNaN(latency) ? null : latency, ok: ok[i] === 1 });
    if (ms < chunk.firstMs) chunk.firstMs = ms;
    if (ms > chunk.lastMs) chunk.lastMs = ms;
  }
  return chunks;
}

const at = (ms: number) => new Date(Date.UTC(2026, 11, 2, 9) + ms).toISOString();

describe('chunksOf', () => {
  it('groups a batch by test and UTC hour, in batch order, and starts a new chunk past the size cap', () => {
    const n = CHUNK_MAX_RESULTS + 10;
    const testIds = [...Array.from({ length: n }, () => 'a'), 'b', 'a', 'b'];
    // The last three are in the next hour, out of order.
    const ts = [...Array.from({ length: n }, (_, i) => at(i)), at(CHUNK_WINDOW_MS + 5), at(CHUNK_WINDOW_MS + 1), at(CHUNK_WINDOW_MS + 2)];
    const chunks = chunksOf(testIds, ts, new Float64Array(ts.length).fill(1), new Uint8Array(ts.length).fill(1));
    expect(chunks.map((chunk) => [chunk.testId, chunk.results.length, chunk.results[0]?.idx])).toEqual([
      ['a', CHUNK_MAX_RESULTS, 0],
      ['a', 10, CHUNK_MAX_RESULTS],
      ['b', 2, n],
      ['a', 1, n + 1],
    ]);
    // Every chunk spans less than its window: a range read bounds last_ms by it.
    for (const chunk of chunks) expect(chunk.lastMs - chunk.firstMs).toBeLessThan(CHUNK_WINDOW_MS);
    expect(chunks[2]).toMatchObject({ firstMs: Date.parse(at(CHUNK_WINDOW_MS + 2)), lastMs: Date.parse(at(CHUNK_WINDOW_MS + 5)) });
    // The same hour-long window, one hour on: a chunk of its own even for the same test.
    expect(chunksOf(['a', 'a'], [at(0), at(CHUNK_WINDOW_MS)], [1, 1], [1, 1])).toHaveLength(2);
  });

  it('groups as before its fast path, and marks a time canonical exactly when toISOString writes it back', () => {
    const result = fc.record({
      test: fc.constantFrom('a', 'b', 'c'),
      ms: fc.oneof(fc.integer({ min: Date.UTC(2026, 11, 2, 8), max: Date.UTC(2026, 11, 2, 11) }), fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 })),
      form: fc.constantFrom('ms', 'ms', 'seconds', 'micros', 'offset'),
      latency: fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 1000 })),
      ok: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 1200 }), (entries) => {
        const ts = entries.map((entry) => {
          const iso = new Date(entry.ms).toISOString();
          return entry.form === 'seconds' ? iso.replace(/\.\d{3}Z$/, 'Z') : entry.form === 'micros' ? iso.replace('Z', '999Z') : entry.form === 'offset' ? iso.replace('Z', '+00:00') : iso;
        });
        const args = [entries.map((entry) => entry.test), ts, Float64Array.from(entries, (entry) => entry.latency), Uint8Array.from(entries, (entry) => (entry.ok ? 1 : 0))] as const;
        const chunks = chunksOf(...args);
        for (const chunk of chunks) for (const r of chunk.results) expect(r.canonical).toBe(new Date(r.ms).toISOString() === r.ts);
        const withoutHint = chunks.map((chunk) => ({ ...chunk, results: chunk.results.map(({ canonical: _, ...rest }) => rest) }));
        expect(withoutHint).toEqual(chunksOfReference(...args));
      }),
      { numRuns: 300, seed: 22 },
    );
  });
});
