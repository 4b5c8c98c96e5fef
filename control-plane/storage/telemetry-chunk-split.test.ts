import { describe, expect, it } from 'vitest';
import { CHUNK_MAX_RESULTS, CHUNK_WINDOW_MS, chunksOf } from './telemetry-chunk-split';

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
});
