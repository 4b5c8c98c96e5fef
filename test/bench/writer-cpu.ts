// CPU per result of the SQLite telemetry writer, load-independent (thread CPU time from /proc, not wall time).
// `npx tsx test/bench/writer-cpu.ts [batches] [batchesPerWrite] [writesInFlight] [pauseEvery]`; `--inline` runs the thread's work on the
// main thread instead (for `node --cpu-prof --import tsx`, since a worker's profile is written only on a clean exit).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TelemetryBatchWrite } from '../../control-plane/storage/types';
import { openStore, storePragmas } from '../../control-plane/storage/sqlite/connection';
import { packBatch, preparePacked, writePacked, type PackedBatch } from '../../control-plane/storage/sqlite/packed-telemetry';
import { TelemetryWriterThread } from '../../control-plane/storage/sqlite/telemetry-writer-thread';
import { chunksOf } from '../../control-plane/storage/telemetry-chunk-split';
import { encodeChunk } from '../../control-plane/storage/telemetry-chunk-codec';
import { TEST_IDS } from './agent-batches';

const RESULTS = 500;
const TICK_US = 1_000_000 / 100; // USER_HZ: /proc reports CPU in ticks of 10 ms.

interface Cpu {
  user: number;
  system: number;
}

/** CPU time of one thread of this process, in µs (fields 14 and 15 of its stat, after the command's parentheses). */
function threadCpu(tid: string): Cpu {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * TICK_US, system: Number(fields[12]) * TICK_US };
}

const tids = (): string[] => readdirSync('/proc/self/task');

let nextMs = Date.parse('2026-12-06T10:00:00.000Z');
const tenant = { id: randomUUID(), isolationModel: 'pooled' as const };

/** A batch shaped as agents send it (test/bench/agent-batches.ts): 20 tests, times 1 ms apart, an error every 50th. */
function agentBatch(): TelemetryBatchWrite {
  const firstMs = nextMs;
  nextMs += RESULTS;
  return {
    tenant,
    batchId: randomUUID(),
    agentId: 'agent-1',
    receivedAt: new Date(firstMs + RESULTS).toISOString(),
    testIds: Array.from({ length: RESULTS }, (_, i) => TEST_IDS[i % TEST_IDS.length] ?? ''),
    ts: Array.from({ length: RESULTS }, (_, i) => new Date(firstMs + i).toISOString()),
    latencyMs: Array.from({ length: RESULTS }, (_, i) => 5 + (i % 90)),
    ok: Array.from({ length: RESULTS }, (_, i) => i % 50 !== 0),
    flowCount: 0,
    bytes: 60_000,
    // The errors' details, sealed: a few hundred bytes per batch.
    sealed: randomBytes(400),
  };
}

const perResult = (us: number, results: number) => Math.round((us / results) * 100) / 100;

async function threaded(batches: number, perWrite: number, inFlight: number, pauseEvery: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-writer-cpu-'));
  const file = join(dir, 'telemetry.db');
  openStore(file, 'telemetry').close();
  const writer = new TelemetryWriterThread(pauseEvery);
  const mainTid = String(process.pid);
  try {
    const before = new Set(tids());
    // Warm-up: starts the thread, opens the file, JIT-compiles the write path.
    for (let i = 0; i < 200; i++) await writer.write(file, [packBatch(agentBatch())]);
    const theirs = tids().filter((tid) => !before.has(tid));
    const writes = Array.from({ length: Math.ceil(batches / perWrite) }, () => Array.from({ length: perWrite }, agentBatch));
    const start = new Map(theirs.map((tid) => [tid, threadCpu(tid)]));
    const mainStart = threadCpu(mainTid);
    const wallStart = performance.now();
    // Up to `inFlight` writes posted at once: a write that finds another waiting pauses and lets it join its commit.
    const flying = new Set<Promise<unknown>>();
    for (const write of writes) {
      const done: Promise<unknown> = writer.write(file, write.map(packBatch)).then(() => flying.delete(done));
      flying.add(done);
      if (flying.size >= inFlight) await Promise.race(flying);
    }
    await Promise.all(flying);
    const wall = performance.now() - wallStart;
    const mainEnd = threadCpu(mainTid);
    // The writer is the new thread that worked most (the others are V8's helpers of that isolate).
    let busiest: { tid: string; cpu: Cpu } | null = null;
    for (const [tid, was] of start) {
      const now = threadCpu(tid);
      const cpu = { user: now.user - was.user, system: now.system - was.system };
      if (busiest === null || cpu.user + cpu.system > busiest.cpu.user + busiest.cpu.system) busiest = { tid, cpu };
    }
    const results = writes.length * perWrite * RESULTS;
    const cpu = busiest?.cpu ?? { user: 0, system: 0 };
    return {
      batches: writes.length * perWrite,
      batches_per_write: perWrite,
      writes_in_flight: inFlight,
      pause_every: pauseEvery,
      wall_ms: Math.round(wall),
      writer_thread_us_per_result: perResult(cpu.user + cpu.system, results),
      writer_thread_user_us_per_result: perResult(cpu.user, results),
      writer_thread_system_us_per_result: perResult(cpu.system, results),
      main_thread_us_per_result: perResult(mainEnd.user + mainEnd.system - mainStart.user - mainStart.system, results),
    };
  } finally {
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The main thread's own share: packing a batch for the thread (and structured-cloning it, as postMessage does). */
function packing(batches: number) {
  const writes = Array.from({ length: batches }, agentBatch);
  for (const batch of writes.slice(0, 200)) structuredClone(packBatch(batch));
  const mainTid = String(process.pid);
  const was = threadCpu(mainTid);
  for (const batch of writes) structuredClone(packBatch(batch));
  const now = threadCpu(mainTid);
  return { pack_and_clone_us_per_result: perResult(now.user + now.system - was.user - was.system, batches * RESULTS) };
}

/** The thread's work on this thread: one transaction per batch, as the thread commits one write. */
function inline(batches: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-writer-cpu-'));
  const file = join(dir, 'telemetry.db');
  openStore(file, 'telemetry').close();
  const db = new Database(file);
  try {
    // --nosync: without the fsync, a --cpu-prof profile (sampled in wall time) shows the CPU's split.
    for (const pragma of storePragmas(process.argv.includes('--nosync') ? 'NORMAL' : 'FULL')) db.pragma(pragma);
    if (process.argv.includes('--nosync')) db.pragma('synchronous = OFF');
    const statements = preparePacked(db);
    const packed: PackedBatch[] = Array.from({ length: batches }, () => packBatch(agentBatch()));
    const mainTid = String(process.pid);
    const was = threadCpu(mainTid);
    for (const batch of packed) {
      db.transaction(() => writePacked(statements, [batch], { duplicates: [], waitsForPending: false }, { batch: 0, row: 0, pendingFrom: null }, () => false, 64)).immediate();
    }
    const now = threadCpu(mainTid);
    return { inline_us_per_result: perResult(now.user + now.system - was.user - was.system, batches * RESULTS), inline_system_us_per_result: perResult(now.system - was.system, batches * RESULTS) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The thread's stages one at a time (CPU of this thread, per result): where a write's CPU goes besides SQLite. */
function stages(batches: number) {
  const packed = Array.from({ length: batches }, () => packBatch(agentBatch()));
  const mainTid = String(process.pid);
  const timed = (run: (batch: PackedBatch) => unknown) => {
    for (const batch of packed.slice(0, 100)) run(batch);
    const was = threadCpu(mainTid);
    for (const batch of packed) run(batch);
    const now = threadCpu(mainTid);
    return perResult(now.user + now.system - was.user - was.system, batches * RESULTS);
  };
  const split = (batch: PackedBatch) => [batch.testIds.split('\n'), batch.ts.split('\n')] as const;
  const chunked = (batch: PackedBatch) => {
    const [testIds, ts] = split(batch);
    return chunksOf(testIds, ts, batch.latencyMs, batch.ok);
  };
  return {
    split_us_per_result: timed(split),
    split_and_chunks_us_per_result: timed(chunked),
    split_chunks_and_encode_us_per_result: timed((batch) => chunked(batch).map((chunk) => encodeChunk(chunk.results, chunk.firstMs))),
  };
}

const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const batches = Number(args[0] ?? 2000);
const perWrite = Number(args[1] ?? 1);
const inFlight = Number(args[2] ?? 1);
const pauseEvery = Number(args[3] ?? 64);
if (process.argv.includes('--inline')) console.log(JSON.stringify(inline(batches)));
else if (process.argv.includes('--stages')) console.log(JSON.stringify(stages(batches)));
else console.log(JSON.stringify({ ...(await threaded(batches, perWrite, inFlight, pauseEvery)), ...packing(batches) }));
