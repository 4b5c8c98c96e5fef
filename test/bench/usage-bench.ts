import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deriveLedgerKey } from '../../control-plane/audit/ledger-codec';
import { EXPORT_PAGE_SIZE, usageCsv, usagePages } from '../../control-plane/metering/usage-export';
import { openStore } from '../../control-plane/storage/sqlite/connection';
import { packBatch, preparePacked, writePacked, type PackedBatch, type PackedStatements } from '../../control-plane/storage/sqlite/packed-telemetry';
import { SqliteStorage, sqliteLayout } from '../../control-plane/storage/sqlite/sqlite-storage';
import { seedUsageTenants } from '../helpers/usage-seed';

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/**
 * Export of `tenants` tenants × 6 meters as CSV over real SQLite (pooled tenants spread over the
 * cell 0), drained as an HTTP client would read it: time, bytes, and memory while it runs (heap
 * and RSS at every chunk against just before it started; then the live heap after full collections).
 */
export async function usageExportFigures(tenants = 10_000): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-usage-bench-'));
  const storage = SqliteStorage.open(sqliteLayout(root), deriveLedgerKey(randomBytes(32)));
  try {
    const seedStarted = performance.now();
    // The counters straight into the pooled cell the tenants live in, one transaction (not the path measured here).
    await seedUsageTenants(storage, tenants, '2026-11-15T12:00:00.000Z', 'bench', (rows, day) => {
      const cell = openStore(sqliteLayout(root).telemetryFile, 'telemetry');
      const insert = cell.prepare('INSERT INTO usage_counters (tenant_id, day, meter, value) VALUES (?, ?, ?, ?)');
      cell.transaction(() => rows.forEach((row) => insert.run(row.tenantId, day, row.meter, row.value)))();
      cell.close();
    });
    const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
    const range = { fromDay: '2026-11-01', toDay: '2026-11-30' };
    const runs = [];
    for (let run = 0; run < 3; run++) {
      const before = process.memoryUsage();
      let peakHeap = before.heapUsed;
      let peakRss = before.rss;
      let bytes = 0;
      const started = performance.now();
      for await (const chunk of usageCsv(usagePages(storage.usage, range))) {
        bytes += (chunk as Buffer).length;
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      }
      runs.push({ ms: Math.round(performance.now() - started), csv_mb: mb(bytes), heap_delta_peak_mb: mb(peakHeap - before.heapUsed), rss_delta_peak_mb: mb(peakRss - before.rss) });
    }
    // Flatness, apart from the timed runs: the live heap (after a full collection) at every chunk,
    // against before the export. Streaming keeps it at about one page, whatever the tenant count.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let liveMax = 0;
    for await (const chunk of usageCsv(usagePages(storage.usage, range))) {
      if ((chunk as Buffer).length === 0) continue;
      gc();
      liveMax = Math.max(liveMax, process.memoryUsage().heapUsed - baseline);
    }
    // The storage pages alone (no CSV), best of 3: how the time splits.
    let pagesMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      let rows = 0;
      for await (const page of usagePages(storage.usage, range)) rows += page.length;
      if (rows !== tenants * 6) throw new Error(`the export had ${rows} rows`);
      pagesMs = Math.min(pagesMs, Math.round(performance.now() - started));
    }
    const best = runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
    return {
      tenants,
      rows: tenants * 6,
      seed_seconds: seedSeconds,
      export_ms_best_of_3: best.ms,
      storage_pages_ms_best_of_3: pagesMs,
      goal_ms: 1000,
      live_heap_growth_max_mb: mb(liveMax),
      load_average_1m: round(loadavg()[0] ?? 0, 1),
      runs,
      page_size_tenants: EXPORT_PAGE_SIZE,
    };
  } finally {
    await storage.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Batches of 500 results as ingest stores them (its details sealed: random bytes of a sealed batch's size). */
function batches(count: number, tenantId: string, testIds: string[]): PackedBatch[] {
  const receivedAt = new Date().toISOString();
  return Array.from({ length: count }, () =>
    packBatch({
      tenant: { id: tenantId, isolationModel: 'pooled' },
      batchId: randomUUID(),
      agentId: randomUUID(),
      receivedAt,
      testIds: Array.from({ length: 500 }, (_, i) => testIds[i % testIds.length] ?? ''),
      ts: Array.from({ length: 500 }, () => receivedAt),
      latencyMs: Array.from({ length: 500 }, (_, i) => 10 + (i % 50)),
      ok: Array.from({ length: 500 }, (_, i) => i % 20 !== 0),
      flowCount: 10,
      bytes: 60_000,
      sealed: randomBytes(20_000),
    }),
  );
}

/**
 * The ingest write path with metering against the same path without it, same run, alternating
 * rounds (the machine is shared and drifts). The counters are written by writePacked, the very
 * function the SQLite writer thread runs, inside each batch's transaction: "without" replaces its
 * usage statement by a no-op, a build of that function that exists only here. Everything else
 * (the batch row, 500 result rows, synchronous=FULL commits of `perTransaction` batches) is the same.
 */
export function meteringOverheadFigures(options: { rounds?: number; batchesPerRound?: number; perTransaction?: number } = {}): Record<string, unknown> {
  const rounds = options.rounds ?? 12;
  const batchesPerRound = options.batchesPerRound ?? 120;
  const perTransaction = options.perTransaction ?? 8;
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-metering-bench-'));
  const db = openStore(join(root, 'telemetry.db'), 'telemetry');
  try {
    const metered = preparePacked(db);
    const unmetered: PackedStatements = { ...metered, addUsage: { run: () => ({ changes: 0, lastInsertRowid: 0 }) } as unknown as PackedStatements['addUsage'] };
    // The metered statements again, the usage statement timed: its share of the write, measured inside the same run.
    let usageMs = 0;
    const timed: PackedStatements = {
      ...metered,
      addUsage: {
        run: (...values: unknown[]) => {
          const started = performance.now();
          const result = metered.addUsage.run(...values);
          usageMs += performance.now() - started;
          return result;
        },
      } as unknown as PackedStatements['addUsage'],
    };
    const tenantId = randomUUID();
    const testIds = Array.from({ length: 20 }, () => randomUUID());
    const write = (statements: PackedStatements, packed: PackedBatch[]) => {
      const started = performance.now();
      for (let i = 0; i < packed.length; i += perTransaction) {
        db.transaction(() => writePacked(statements, packed.slice(i, i + perTransaction), { duplicates: [], waitsForPending: false }, { batch: 0, row: 0, pendingFrom: null }, () => false, 1_000))();
      }
      return { rate: (packed.length * 500) / ((performance.now() - started) / 1000), ms: performance.now() - started };
    };
    // Warm-up: the file's first pages, the JIT.
    write(metered, batches(40, tenantId, testIds));
    write(unmetered, batches(40, tenantId, testIds));
    const perRound: { with_metering: number; without_metering: number; ratio: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always meets the fuller file or the warmer cache.
      const meteredFirst = r % 2 === 0;
      const first = write(meteredFirst ? metered : unmetered, batches(batchesPerRound, tenantId, testIds)).rate;
      const second = write(meteredFirst ? unmetered : metered, batches(batchesPerRound, tenantId, testIds)).rate;
      const [withRate, withoutRate] = meteredFirst ? [first, second] : [second, first];
      perRound.push({ with_metering: Math.round(withRate), without_metering: Math.round(withoutRate), ratio: round(withRate / withoutRate) });
    }
    const timedRun = write(timed, batches(batchesPerRound * 2, tenantId, testIds));
    const ratios = perRound.map((entry) => entry.ratio);
    const mean = (pick: (entry: (typeof perRound)[number]) => number) => Math.round(perRound.reduce((total, entry) => total + pick(entry), 0) / rounds);
    const counted = db.prepare("SELECT value FROM usage_counters WHERE tenant_id = ? AND meter = 'results_ingested'").pluck().get(tenantId) as number;
    const withMean = mean((entry) => entry.with_metering);
    const withoutMean = mean((entry) => entry.without_metering);
    return {
      results_per_sec_with_metering: withMean,
      results_per_sec_without_metering: withoutMean,
      // The ratio of the rounds' sums (as ingest_p1): the machine drifts by more than the effect within a round.
      with_over_without: round(withMean / withoutMean),
      overhead_percent: round((1 - withMean / withoutMean) * 100, 2),
      per_round_ratio_min: Math.min(...ratios),
      per_round_ratio_max: Math.max(...ratios),
      // The usage statements' own time as a share of the whole metered write (fsync included).
      usage_statements_share_percent: round((usageMs / timedRun.ms) * 100, 2),
      goal_overhead_percent: 3,
      // Every metered round's results, counted once: proof the "with" side really metered.
      results_counted: counted,
      per_round: perRound,
      rounds,
      batches_per_round: batchesPerRound,
      batches_per_transaction: perTransaction,
      results_per_batch: 500,
    };
  } finally {
    db.close();
    rmSync(root, { recursive: true, force: true });
  }
}
