import { encodeChunk } from '../telemetry-chunk-codec';
import type { Chunk } from '../telemetry-chunk-split';
import { chunkOfRow, type ChunkRow, type ChunkWalk } from '../telemetry-chunk-walks';
import type { Queryable } from './tenant-context';

/**
 * PostgreSQL's telemetry chunks (`telemetry_chunks`, see createChunkTables in schema.ts): one row
 * per test per batch per UTC hour, the results packed in `body` (../telemetry-chunk-codec.ts).
 * Writes and reads run in the caller's transaction, in the tenant's context.
 */

/** Stores a batch's chunks in one statement (nothing for a batch without results). */
export async function insertChunks(client: Queryable, schema: string, tenantId: string, batchId: string, chunks: readonly Chunk[]): Promise<void> {
  if (chunks.length === 0) return;
  await client.query(
    `INSERT INTO ${schema}.telemetry_chunks (tenant_id, test_id, first_ms, last_ms, batch_id, count, body)
     SELECT $1::uuid, c.test_id, c.first_ms, c.last_ms, $2, c.count, c.body
       FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::int[], $7::bytea[]) AS c(test_id, first_ms, last_ms, count, body)`,
    [
      tenantId,
      batchId,
      chunks.map((chunk) => chunk.testId),
      chunks.map((chunk) => chunk.firstMs),
      chunks.map((chunk) => chunk.lastMs),
      chunks.map((chunk) => chunk.results.length),
      chunks.map((chunk) => encodeChunk(chunk.results, chunk.firstMs)),
    ],
  );
}


/** Chunks fetched at first, then four times as many each fetch up to the most: a page needs few; a summary, which reads all, starts at the most. */
const FIRST_FETCH = 8;
const MOST_FETCH = 2048;

/**
 * Offers the walk the chunks it asks for (of the window's test when it names one), in order of
 * `last_ms`, through a cursor fetched in growing steps, until it says stop: only the chunks
 * fetched are read and decoded, not the window's. Run inside a transaction in the tenant's context.
 */
export async function runWalk<T>(client: Queryable, schema: string, tenantId: string, testId: string | undefined, walk: ChunkWalk<T>): Promise<T> {
  const values: unknown[] = [tenantId, walk.range.from, walk.range.upper, walk.range.to];
  if (testId !== undefined) values.push(testId);
  // bigint as float8: a time in ms is exact there, and pg hands it over as a number. The order is by
  // the column itself (c.last_ms), not the float8 output of the same name, so the index serves it.
  await client.query(
    `DECLARE telemetry_walk NO SCROLL CURSOR FOR
       SELECT c.test_id, c.first_ms::float8 AS first_ms, c.last_ms::float8 AS last_ms, c.batch_id, c.count, c.body FROM ${schema}.telemetry_chunks c
        WHERE c.tenant_id = $1 AND c.last_ms >= $2 AND c.last_ms < $3 AND c.first_ms <= $4${testId === undefined ? '' : ' AND c.test_id = $5'}
        ORDER BY c.last_ms ${walk.newestFirst ? 'DESC' : 'ASC'}`,
    values,
  );
  // On an error the transaction rolls back, and the cursor with it.
  let size = walk.readsAll ? MOST_FETCH : FIRST_FETCH;
  let more = true;
  while (more) {
    const { rows } = await client.query<ChunkRow>(`FETCH ${size} FROM telemetry_walk`);
    more = rows.length === size;
    for (const row of rows) {
      if (!walk.offer(chunkOfRow(row))) {
        more = false;
        break;
      }
    }
    size = Math.min(size * 4, MOST_FETCH);
  }
  // Not closed: the transaction's end closes it, one round trip fewer on every read.
  return walk.answer();
}
