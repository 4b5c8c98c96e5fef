// The disk's own noisy-neighbour floor, for P2: bare better-sqlite3 with no server, no HTTP and
// no scheduler. A quiet writer commits one row every 10 ms into a file of its own, alone and then
// beside a noisy writer committing 500 rows every 100 ms into another file, in alternating
// windows. Both commit as the control plane does (WAL, synchronous=FULL: an fsync per commit).
// Whatever the quiet writer's p99 gains here is the price of sharing the disk, which no
// scheduling can take away from a server that makes every acknowledged write durable.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openStore } from '../../control-plane/storage/sqlite/connection';

const INSERT = 'INSERT INTO telemetry_results (tenant_id, test_id, ts, latency_ms, ok, batch_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** The noisy writer's thread: 500 rows a commit, a commit every 100 ms, until told to stop. */
const noisySource = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
for (const pragma of workerData.pragmas) db.pragma(pragma);
const insert = db.prepare(workerData.insert);
let stopped = false;
let at = Date.now();
parentPort.on('message', () => { stopped = true; });
const tick = () => {
  if (stopped) { db.close(); parentPort.postMessage('stopped'); return; }
  const batch = String(at);
  db.transaction(() => { for (let i = 0; i < 500; i++) insert.run('noisy', 'test', new Date(at++).toISOString(), 5, 1, batch, i); })();
  setTimeout(tick, 100);
};
tick();`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const round = (value: number) => Math.round(value * 100) / 100;

export async function diskFloor(seconds = 8, rounds = 3): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-disk-floor-'));
  try {
    const quietFile = join(dir, 'quiet.db');
    const noisyFile = join(dir, 'noisy.db');
    const quietDb = openStore(quietFile, 'telemetry');
    openStore(noisyFile, 'telemetry').close();
    const insert = quietDb.prepare(INSERT);
    const quiet = async (into: number[]) => {
      const deadline = performance.now() + seconds * 1000;
      let next = performance.now();
      while (performance.now() < deadline) {
        const started = performance.now();
        insert.run('quiet', 'test', new Date().toISOString(), 5, 1, randomUUID(), 0);
        into.push(performance.now() - started);
        next += 10;
        await sleep(Math.max(0, next - performance.now()));
      }
    };
    const solo: number[] = [];
    const together: number[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        // Whatever was written before (the last round, another benchmark) is on disk first.
        spawnSync('sync');
        await sleep(1000);
        await quiet(solo);
        const noisy = new Worker(noisySource, {
          eval: true,
          workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file: noisyFile, insert: INSERT, pragmas: ['journal_mode = WAL', 'synchronous = FULL'] },
        });
        await quiet(together);
        await new Promise<void>((resolve) => {
          noisy.once('message', () => resolve());
          noisy.postMessage('stop');
        });
        await noisy.terminate();
      }
    } finally {
      quietDb.close();
    }
    const soloP99 = percentile(solo, 99);
    const togetherP99 = percentile(together, 99);
    return {
      quiet_commits: { solo: solo.length, together: together.length },
      quiet_p50_ms: { solo: round(percentile(solo, 50)), together: round(percentile(together, 50)) },
      quiet_p99_ms: { solo: round(soloP99), together: round(togetherP99) },
      quiet_p99_together_over_solo: round(togetherP99 / soloP99),
      quiet_p99_added_ms: round(togetherP99 - soloP99),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
