import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { PLAIN_TENANTS, checkChunkReads } from '../../../test/helpers/chunk-read-property';
import { chunkAggregates, newestResults, oldestResults } from './chunk-reads';
import { openStore } from './connection';
import { packBatch, preparePacked, writePacked } from './packed-telemetry';

// The shared property test (test/helpers/chunk-read-property.ts) on a SQLite telemetry store: a
// batch written part-way is one its writer paused after its first chunk and never went on with.

describe('reads over telemetry chunks (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-chunk-reads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;

  it('answer pages newest first, a test over a range, oldest-first analysis rows, summaries (the store’s own too) and insights as a naive reference does', async () => {
    await checkChunkReads(() => {
      const db = openStore(join(dir, `run-${run++}.db`), 'telemetry');
      const statements = preparePacked(db);
      return Promise.resolve({
        engine: {
          tenants: PLAIN_TENANTS,
          write: (batch, partWay) => {
            const outcome = { duplicates: [], waitsForPending: false };
            // Pausing after every chunk and never going on: what a stopped writer leaves.
            const paused = db.transaction(() => writePacked(statements, [packBatch(batch)], outcome, { batch: 0, row: 0, pendingFrom: null }, () => partWay, 1)).immediate();
            return Promise.resolve(outcome.duplicates.length > 0 ? 'duplicate' : paused !== null ? 'left' : 'stored');
          },
          results: (tenant, window, limit, before) => Promise.resolve(newestResults(db, tenant.id, window, limit, before)),
          oldest: (tenant, window, limit) => Promise.resolve(oldestResults(db, tenant.id, window, limit)),
          aggregates: (tenant, window, limit) => Promise.resolve(chunkAggregates(db, tenant.id, window, limit)),
        },
        close: () => {
          db.close();
          return Promise.resolve();
        },
      });
    }, 100);
  });
});
