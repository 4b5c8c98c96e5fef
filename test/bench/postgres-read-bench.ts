// Reads over a day of telemetry on PostgreSQL's chunks (#22): the same day as telemetry-read-bench.ts
// (four tests, one result a second each, batches of 500) written through the telemetry store as
// the app role (RLS on), then a test's summary over 86,400 results and a page of 500 in time order,
// through the store as the server reads them; and the chunks' bytes per result.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresStorage } from '../../control-plane/storage/postgres/postgres-storage';
import { testStats } from '../../control-plane/telemetry/telemetry-analysis';
import { benchDatabase } from '../helpers/postgres-roles';
import { plainTenantRecord } from '../helpers/seed-tenants';
import { DAY_START, dayBatches, TENANT, TESTS } from './telemetry-read-bench';

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Median milliseconds of `runs` calls, after two warm-up calls. */
async function timed<T>(runs: number, read: () => Promise<T>): Promise<{ ms: number; answer: T }> {
  let answer = await read();
  await read();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    answer = await read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: round(times[Math.floor(times.length / 2)] ?? 0), answer };
}

export async function postgresReadFigures(runs = 15): Promise<Record<string, unknown>> {
  const bench = await benchDatabase('read_bench');
  try {
    const storage = await PostgresStorage.open(bench.appUrl, randomBytes(32), { max: 2 });
    try {
      await storage.transaction((tx) => tx.insertTenant(plainTenantRecord(TENANT, 'pooled', new Date(DAY_START).toISOString()), randomBytes(40)));
      // The day's agent ids as UUIDs (the column is uuid on PostgreSQL).
      const agentId = randomUUID();
      const day = dayBatches().map((batch) => ({ ...batch, agentId }));
      for (let i = 0; i < day.length; i += 20) await storage.telemetry.writeBatches(day.slice(i, i + 20));
      const superuser = new pg.Client({ connectionString: bench.superuserUrl });
      await superuser.connect();
      let bytes = 0;
      try {
        await superuser.query('VACUUM ANALYZE bh.telemetry_chunks');
        bytes = Number((await superuser.query<{ bytes: string }>("SELECT pg_total_relation_size('bh.telemetry_chunks')::text AS bytes")).rows[0]?.bytes ?? 0);
      } finally {
        await superuser.end();
      }
      const tenant = { id: TENANT, isolationModel: 'pooled' as const };
      const window = { from: new Date(DAY_START).toISOString(), to: new Date(DAY_START + 86_400_000 - 1).toISOString() };
      const oneTest = { ...window, testId: TESTS[0] };
      const summary = await timed(runs, async () => (await storage.telemetry.aggregates?.(tenant, oneTest, 200_000))?.tests.map((test) => testStats(test.testId, test.results, test.failures, test.latencies)));
      const page = await timed(runs, () => storage.telemetry.results(tenant, window, 501));
      const stored = day.reduce((sum, batch) => sum + batch.testIds.length, 0);
      return {
        summary_results: summary.answer?.[0]?.results ?? 0,
        summary_ms: summary.ms,
        page_500_ms: page.ms,
        page_rows: page.answer.length,
        chunk_bytes_per_result: round(bytes / stored, 1),
        stored_results: stored,
        runs,
      };
    } finally {
      await storage.close();
    }
  } finally {
    await bench.stop();
  }
}
