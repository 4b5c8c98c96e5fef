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
import { packBatch } from '../../control-plane/storage/sqlite/packed-telemetry';
import { TelemetryWriterThread } from '../../control-plane/storage/sqlite/telemetry-writer-thread';
import type { TelemetryBatchWrite } from '../../control-plane/storage/types';
import { TEST_IDS } from './agent-batches';
import { openRowPerResultStore, ROW_PER_RESULT_INSERT } from '../helpers/row-per-result';

/** Rows of the row-per-result layout: what this floor was first measured with, so figures stay comparable. */
const INSERT = ROW_PER_RESULT_INSERT;

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

interface Floor {
  quiet_commits: { solo: number; together: number };
  quiet_p50_ms: { solo: number; together: number };
  quiet_p99_ms: { solo: number; together: number };
  quiet_p99_together_over_solo: number;
  quiet_p99_added_ms: number;
}

function floorOf(solo: number[], together: number[]): Floor {
  const soloP99 = percentile(solo, 99);
  const togetherP99 = percentile(together, 99);
  return {
    quiet_commits: { solo: solo.length, together: together.length },
    quiet_p50_ms: { solo: round(percentile(solo, 50)), together: round(percentile(together, 50)) },
    quiet_p99_ms: { solo: round(soloP99), together: round(togetherP99) },
    quiet_p99_together_over_solo: round(togetherP99 / soloP99),
    quiet_p99_added_ms: round(togetherP99 - soloP99),
  };
}

/** A quiet write every 10 ms for `seconds`, each one's duration into `into`. */
async function quietEvery10ms(seconds: number, into: number[], write: () => Promise<void> | void): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  let next = performance.now();
  while (performance.now() < deadline) {
    const started = performance.now();
    await write();
    into.push(performance.now() - started);
    next += 10;
    await sleep(Math.max(0, next - performance.now()));
  }
}

/** A batch shaped as the server stores one: tenant and batch UUIDs, 20 tests, details sealed once. */
function storedBatch(tenantId: string, results: number): TelemetryBatchWrite {
  const at = Date.now();
  return {
    tenant: { id: tenantId, isolationModel: 'pooled' },
    batchId: randomUUID(),
    agentId: randomUUID(),
    receivedAt: new Date(at).toISOString(),
    testIds: Array.from({ length: results }, (_, i) => TEST_IDS[i % TEST_IDS.length] ?? ''),
    ts: Array.from({ length: results }, (_, i) => new Date(at - results + i).toISOString()),
    latencyMs: Array.from({ length: results }, (_, i) => 5 + (i % 90)),
    ok: Array.from({ length: results }, (_, i) => i % 50 !== 0),
    flowCount: 0,
    bytes: results * 110,
    // Sealed details: about what 500 results with an error on every 50th seal to.
    sealed: Buffer.alloc(Math.max(64, results * 6), 1),
  };
}

/**
 * The storage layer's floor, for P2: the server's own writer threads and row shapes, with no
 * server around them. A quiet tenant's one-result batch every 10 ms through one writer thread into
 * its cell, alone and beside a noisy tenant's 500-result batch every 100 ms through another writer
 * thread into another cell, as two pooled tenants in different cells are written. What the quiet
 * p99 gains here is the price of the disk and the write path; what P2 adds on top is the server's.
 */
export async function storageFloor(seconds = 4, rounds = 6): Promise<Floor> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-storage-floor-'));
  const quietFile = join(dir, 'quiet.db');
  const noisyFile = join(dir, 'noisy.db');
  openStore(quietFile, 'telemetry').close();
  openStore(noisyFile, 'telemetry').close();
  const quietWriter = new TelemetryWriterThread();
  const noisyWriter = new TelemetryWriterThread();
  const quietTenant = randomUUID();
  const noisyTenant = randomUUID();
  try {
    const solo: number[] = [];
    const together: number[] = [];
    const quiet = (into: number[]) =>
      quietEvery10ms(seconds, into, async () => {
        await quietWriter.write(quietFile, [packBatch(storedBatch(quietTenant, 1))]);
      });
    await quiet([]);
    for (let r = 0; r < rounds; r++) {
      spawnSync('sync');
      await sleep(1000);
      await quiet(solo);
      const flood = { on: true };
      const noisy = (async () => {
        let next = performance.now();
        while (flood.on) {
          await noisyWriter.write(noisyFile, [packBatch(storedBatch(noisyTenant, 500))]);
          next += 100;
          await sleep(Math.max(0, next - performance.now()));
        }
      })();
      await quiet(together);
      flood.on = false;
      await noisy;
    }
    return floorOf(solo, together);
  } finally {
    await Promise.all([quietWriter.close(), noisyWriter.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function diskFloor(seconds = 4, rounds = 6): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-disk-floor-'));
  try {
    const quietFile = join(dir, 'quiet.db');
    const noisyFile = join(dir, 'noisy.db');
    const quietDb = openRowPerResultStore(quietFile, 'telemetry');
    openRowPerResultStore(noisyFile, 'telemetry').close();
    const insert = quietDb.prepare(INSERT);
    const quiet = (into: number[]) => quietEvery10ms(seconds, into, () => void insert.run('quiet', 'test', new Date().toISOString(), 5, 1, randomUUID(), 0));
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
    return { ...floorOf(solo, together) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
