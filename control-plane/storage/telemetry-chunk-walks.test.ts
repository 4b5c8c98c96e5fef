import { describe, it } from 'vitest';
import { PLAIN_TENANTS, checkChunkReads } from '../../test/helpers/chunk-read-property';
import { encodeChunk } from './telemetry-chunk-codec';
import { chunksOf } from './telemetry-chunk-split';
import { aggregateWalk, newestWalk, oldestWalk, type ChunkWalk, type StoredChunk } from './telemetry-chunk-walks';

// The walks alone, over chunks kept in a list (no engine): the shared property test with an
// engine that offers a walk every chunk of its range, sorted as an index would give them.

describe('reads over telemetry chunks (the walks, in memory)', () => {
  it('answer every read as a naive reference does', async () => {
    await checkChunkReads(() => {
      const stored = new Map<string, StoredChunk[]>();
      const batches = new Set<string>();
      const run = <T>(tenantId: string, testId: string | undefined, walk: ChunkWalk<T>): T => {
        const { from, to, upper } = walk.range;
        const chunks = (stored.get(tenantId) ?? []).filter((chunk) => (testId === undefined || chunk.testId === testId) && chunk.lastMs >= from && chunk.lastMs < upper && chunk.firstMs <= to);
        chunks.sort((a, b) => (walk.newestFirst ? b.lastMs - a.lastMs : a.lastMs - b.lastMs));
        for (const chunk of chunks) if (!walk.offer(chunk)) break;
        return walk.answer();
      };
      return Promise.resolve({
        engine: {
          tenants: PLAIN_TENANTS,
          write: (batch, partWay) => {
            // Part-way here means never kept: nothing of it is stored.
            if (partWay) return Promise.resolve('left');
            const key = `${batch.tenant.id}/${batch.batchId}`;
            if (batches.has(key)) return Promise.resolve('duplicate');
            batches.add(key);
            const chunks = chunksOf(batch.testIds, batch.ts, Float64Array.from(batch.latencyMs, (value) => value ?? Number.NaN), Uint8Array.from(batch.ok, (ok) => (ok ? 1 : 0)));
            const list = stored.get(batch.tenant.id) ?? [];
            for (const chunk of chunks) list.push({ testId: chunk.testId, firstMs: chunk.firstMs, lastMs: chunk.lastMs, batchId: batch.batchId, count: chunk.results.length, body: encodeChunk(chunk.results, chunk.firstMs) });
            stored.set(batch.tenant.id, list);
            return Promise.resolve('stored');
          },
          results: (tenant, window, limit, before) => Promise.resolve(run(tenant.id, window.testId, newestWalk(window, limit, before))),
          oldest: (tenant, window, limit) => Promise.resolve(run(tenant.id, window.testId, oldestWalk(window, limit))),
          aggregates: (tenant, window, limit) => Promise.resolve(run(tenant.id, window.testId, aggregateWalk(window, limit))),
        },
        close: () => Promise.resolve(),
      });
    }, 100);
  });
});
