// RLS overhead on PostgreSQL: the same tenant-scoped telemetry query as the server's role (RLS
// adds the tenant predicate from app.tenant_id) and as a role that bypasses RLS with the tenant
// filter written out. The table owner cannot serve as the baseline: FORCE RLS binds it too.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { benchDatabase } from '../helpers/postgres-roles';

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

export async function rlsFigures(options: { tenants?: number; rowsPerTenant?: number; queries?: number } = {}): Promise<Record<string, unknown>> {
  const tenants = options.tenants ?? 20;
  const rowsPerTenant = options.rowsPerTenant ?? 20_000;
  const queries = options.queries ?? 400;
  const bench = await benchDatabase('bench');
  try {
    const superuser = new pg.Client({ connectionString: bench.superuserUrl });
    const app = new pg.Client({ connectionString: bench.appUrl });
    await superuser.connect();
    await app.connect();
    try {
      const ids = Array.from({ length: tenants }, () => randomUUID());
      for (const id of ids) {
        await superuser.query(
          `INSERT INTO bh.telemetry_chunks (tenant_id, test_id, first_ms, last_ms, batch_id, count, body)
           SELECT $1::uuid, 'test-' || (g % 50), 1793491200000 + g * 1000::bigint, 1793491200000 + g * 1000::bigint + 500, 'b' || (g / 500), 1 + g % 7, '\\x00'::bytea
           FROM generate_series(1, $2) AS g`,
          [id, rowsPerTenant],
        );
      }
      await superuser.query('ANALYZE bh.telemetry_chunks');
      // Chunk rows since #22: the tenant-scoped query walks a tenant's chunks by test and last time.
      const sql = (filter: string) =>
        `SELECT test_id, count(*) AS n, sum(count) AS results
         FROM bh.telemetry_chunks WHERE ${filter} test_id = $1 AND last_ms >= $2 GROUP BY test_id`;
      const time = async (fn: (i: number) => Promise<void>) => {
        for (let i = 0; i < 30; i++) await fn(i);
        const started = performance.now();
        for (let i = 0; i < queries; i++) await fn(i);
        return (performance.now() - started) / queries;
      };
      const withRls = async (i: number) => {
        const tenant = ids[i % ids.length] ?? '';
        await app.query('BEGIN READ ONLY');
        await app.query("SELECT set_config('app.tenant_id', $1, true)", [tenant]);
        const rows = await app.query(sql(''), [`test-${i % 50}`, Date.parse('2026-11-01T02:00:00.000Z')]);
        await app.query('COMMIT');
        if (rows.rowCount !== 1) throw new Error('RLS query returned no group');
      };
      const explicit = async (i: number) => {
        const tenant = ids[i % ids.length] ?? '';
        await superuser.query('BEGIN READ ONLY');
        await superuser.query("SELECT set_config('app.tenant_id', $1, true)", [tenant]);
        const rows = await superuser.query(sql('tenant_id = $3 AND'), [`test-${i % 50}`, Date.parse('2026-11-01T02:00:00.000Z'), tenant]);
        await superuser.query('COMMIT');
        if (rows.rowCount !== 1) throw new Error('explicit query returned no group');
      };
      // Alternate to spread machine noise over both.
      const rlsMs: number[] = [];
      const explicitMs: number[] = [];
      for (let round_ = 0; round_ < 3; round_++) {
        rlsMs.push(await time(withRls));
        explicitMs.push(await time(explicit));
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] ?? 0;
      return {
        chunk_rows: tenants * rowsPerTenant,
        tenants,
        queries_per_measurement: queries,
        rls_app_role_ms: round(median(rlsMs)),
        explicit_filter_bypassrls_ms: round(median(explicitMs)),
        rls_over_explicit: round(median(rlsMs) / median(explicitMs), 3),
      };
    } finally {
      await app.end();
      await superuser.end();
    }
  } finally {
    await bench.stop();
  }
}
