import type Database from 'better-sqlite3';
import type { TelemetryResultRow, TelemetryWindow } from '../types';
import type { TestAggregate } from '../telemetry-store';
import { aggregateWalk, chunkOfRow, newestWalk, oldestWalk, type ChunkRow, type ChunkWalk } from '../telemetry-chunk-walks';

/**
 * Reads over SQLite's telemetry chunks (see telemetryChunks in tenant-tables.ts): the chunks a walk
 * asks for (../telemetry-chunk-walks.ts), by `last_ms` through an index, until it says stop.
 * Chunks of a batch a writer paused part-way are skipped.
 */


function chunksQuery(db: Database.Database, byTest: boolean, newestFirst: boolean): Database.Statement {
  const scope = byTest ? 'c.series = (SELECT id FROM telemetry_series WHERE tenant_id = k.id AND test_id = @testId)' : 'c.tenant_id = k.id';
  return db.prepare(
    `SELECT s.test_id, c.first_ms, c.last_ms, c.batch_id, c.count, c.body
       FROM telemetry_tenants k
       JOIN telemetry_chunks c ON ${scope} AND c.tenant_id = k.id
       JOIN telemetry_series s ON s.id = c.series
      WHERE k.tenant_id = @tenant AND c.last_ms >= @from AND c.last_ms < @upper AND c.first_ms <= @to
        AND c.batch_id NOT IN (SELECT batch_id FROM telemetry_batches WHERE tenant_id = @tenant AND pending_from IS NOT NULL)
      ORDER BY c.last_ms ${newestFirst ? 'DESC' : 'ASC'}`,
  );
}

/** Offers the walk the chunks it asks for, in its order, until it says stop. */
function run<T>(db: Database.Database, tenantId: string, window: TelemetryWindow, walk: ChunkWalk<T>): T {
  const statement = chunksQuery(db, window.testId !== undefined, walk.newestFirst);
  const parameters = { tenant: tenantId, testId: window.testId, ...walk.range };
  for (const row of statement.iterate(parameters) as IterableIterator<ChunkRow>) {
    if (!walk.offer(chunkOfRow(row))) break;
  }
  return walk.answer();
}

/** Per-test counts and sorted latencies over the window; null past `limit` results (see aggregateWalk). */
export function chunkAggregates(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number): { rows: number; tests: TestAggregate[] } | null {
  return run(db, tenantId, window, aggregateWalk(window, limit));
}

/** Newest first, before the (ts, batchId, idx) position when given; at most `limit`. */
export function newestResults(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): TelemetryResultRow[] {
  return run(db, tenantId, window, newestWalk(window, limit, before));
}

/** Oldest first, at most `limit` (summaries and insights). */
export function oldestResults(db: Database.Database, tenantId: string, window: TelemetryWindow, limit: number): TelemetryResultRow[] {
  return run(db, tenantId, window, oldestWalk(window, limit));
}
