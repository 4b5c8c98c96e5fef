// Ledger verify figures beside the ledger bench (provider-bench.ts ledgerFigures): the floor of
// what verify does per entry, measured in the same run on the same ledger (so a reader sees how
// far verify is from it whatever the machine's load), and verify on PostgreSQL.
import { hash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import Database from 'better-sqlite3';
import { PostgresStorage } from '../../control-plane/storage/postgres/postgres-storage';
import { findPostgresBin } from '../helpers/postgres-cluster';
import { benchDatabase } from '../helpers/postgres-roles';

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** CPU seconds of this thread's `fn` (the floors run on the main thread, one core). */
function cpuSeconds(fn: () => void): number {
  const started = process.cpuUsage();
  fn();
  const used = process.cpuUsage(started);
  return round((used.user + used.system) / 1e6);
}

/**
 * One core's floor for `entries` entries of the SQLite ledger in `file`: SHA-256 twice per entry
 * (the leaf and the MAC's inner hash are two of verify's four) into Buffers and into hex strings,
 * and reading every row as verify does without hashing. Verify's CPU seconds (all threads) over
 * rows + four hashes per entry is how close it is.
 */
export function verifyFloor(file: string, ledgerId: string, entries: number): Record<string, number> {
  const input = randomBytes(200);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT seq, ts, actor, event_type, tenant_id, details, lower(hex(leaf_hash)), lower(hex(mac)) FROM ledger_entries WHERE ledger_id = ? ORDER BY seq').raw();
    return {
      sha256_2m_into_buffers_cpu_seconds: cpuSeconds(() => {
        for (let i = 0; i < 2 * entries; i++) hash('sha256', input, 'buffer');
      }),
      sha256_2m_into_hex_cpu_seconds: cpuSeconds(() => {
        for (let i = 0; i < 2 * entries; i++) hash('sha256', input, 'hex');
      }),
      row_reads_cpu_seconds: cpuSeconds(() => {
        let read = 0;
        for (const row of rows.iterate(ledgerId) as IterableIterator<unknown[]>) read += row.length > 0 ? 1 : 0;
        if (read !== entries) throw new Error(`read ${read} rows of ${entries}`);
      }),
    };
  } finally {
    db.close();
  }
}

/** Verify of a PostgreSQL provider ledger of `entries` (one thread, pages of 4,096), on a private cluster. */
export async function postgresVerifyFigures(entries = 100_000): Promise<Record<string, unknown>> {
  if (findPostgresBin() === null) return { skipped: 'PostgreSQL is not installed' };
  const bench = await benchDatabase('ledger_bench');
  try {
    const storage = await PostgresStorage.open(bench.appUrl, randomBytes(32), { max: 4 });
    try {
      const ts = new Date().toISOString();
      for (let done = 0; done < entries; done += 10_000) {
        await storage.transaction(async (tx) => {
          for (let i = done; i < Math.min(entries, done + 10_000); i++) {
            await tx.appendLedger('provider', { actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { tenant: `t-${i % 997}`, changed: { plan: 'gold' }, n: i } }, ts);
          }
        });
      }
      const load = loadavg()[0] ?? 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const verification = await storage.ledgers.verify('provider');
      const wall = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return {
        entries,
        verify_seconds: round(wall / 1000),
        // This process only: PostgreSQL's own CPU (a server process) is not counted.
        verify_cpu_seconds_this_process: round((used.user + used.system) / 1e6),
        verify_ok: verification.ok,
        load_average_1m: round(load),
      };
    } finally {
      await storage.close();
    }
  } finally {
    await bench.stop();
  }
}
