import { Worker } from 'node:worker_threads';
import { storePragmas } from './connection';
import { workerModule } from './worker-module';
import type { PackedBatch } from './packed-telemetry';
import type { Done, ForgetRequest, PurgeRequest, ThreadData, Upkeep, UsageRequest, WriteReply, WriteRequest } from './telemetry-writer-protocol';

/**
 * The shared telemetry store's writer on its own thread: while it commits (an fsync), the main
 * thread goes on parsing, authenticating and sealing the next batches, which the ingest writer
 * then hands over together. A batch's promise resolves only after its transaction committed.
 */
export class TelemetryWriterThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Done) => void; reject: (error: Error) => void }>();
  /** Shared with the current thread: write requests posted to it. */
  private posted = new Int32Array(new SharedArrayBuffer(4));
  /** Shared with every thread this one starts: main-thread transactions on files it writes. */
  private readonly holds = new Int32Array(new SharedArrayBuffer(4));

  /**
   * @param pauseEvery rows a write goes on for between looks at whether another request waits.
   * @param extraPragmas run after the store's own on each connection (tests limit the file's size with them).
   */
  constructor(
    private readonly pauseEvery = 64,
    private readonly extraPragmas: readonly string[] = [],
  ) {}

  /** Writes the batches into `file` in one transaction; resolves with the keys already stored. */
  async write(file: string, batches: PackedBatch[]): Promise<string[]> {
    return (await this.send((id) => ({ id, file, batches }) satisfies WriteRequest)).duplicates;
  }

  /** Closes the thread's connections to files under `dir`, before they are removed. */
  async forget(dir: string): Promise<void> {
    if (this.worker === null) return;
    await this.send((id) => ({ id, forget: dir }) satisfies ForgetRequest);
  }

  /**
   * Removes a deleted tenant's telemetry from a pooled cell file, `chunk` rows per transaction:
   * writes posted meanwhile go between the chunks, so a large tenant's removal holds the cell
   * for one chunk at a time, and this thread (the event loop) not at all. Resolves with the rows
   * removed once none is left.
   */
  async purge(file: string, tenantId: string, chunk = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { removed = 0 } = await this.send((id) => ({ id, purge: { file, tenantId, limit: chunk } }) satisfies PurgeRequest);
      if (removed === 0) return total;
      total += removed;
    }
  }

  /**
   * Before this thread's main-thread caller writes a file this thread also writes (a silo's control
   * data): a write in flight pauses at its next look (every `pauseEvery` rows), commits what it
   * has, and waits for `release()`. Without it, the caller's BEGIN would wait out the whole write
   * with the event loop stopped.
   */
  hold(): void {
    Atomics.add(this.holds, 0, 1);
  }

  release(): void {
    Atomics.sub(this.holds, 0, 1);
    Atomics.notify(this.holds, 0);
  }

  /** Adds `value` to a usage meter of `tenantId` for `day` in `file`. */
  async addUsage(file: string, tenantId: string, day: string, meter: string, value: number): Promise<void> {
    await this.send((id) => ({ id, usage: { file, tenantId, day, meter, value } }) satisfies UsageRequest);
  }

  private send(message: (id: number) => WriteRequest | Upkeep): Promise<Done> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a request is in flight.
      if (this.pending.size === 1) worker.ref();
      const request = message(id);
      worker.postMessage(request);
      // Counted once posted, so a write that pauses for it finds it on the port.
      if ('file' in request) Atomics.add(this.posted, 0, 1);
    });
  }

  private started(): Worker {
    if (this.worker !== null) return this.worker;
    this.posted = new Int32Array(new SharedArrayBuffer(4));
    const data: ThreadData = { pragmas: [...storePragmas(), ...this.extraPragmas], posted: this.posted.buffer, holds: this.holds.buffer, pauseEvery: this.pauseEvery };
    // Plain JavaScript in both cases: none of the parent's loader flags (tsx) is needed, and they cost a start.
    const worker = new Worker(workerModule('telemetry-writer-worker'), { workerData: data, execArgv: [] });
    worker.unref();
    worker.on('message', (reply: WriteReply) => {
      this.settle(reply);
    });
    worker.on('error', (error) => {
      this.failAll(worker, error);
    });
    worker.on('exit', (code) => {
      this.failAll(worker, new Error(`the telemetry writer thread stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: WriteReply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in reply) waiter.reject(Object.assign(new Error(reply.error), reply.code === undefined ? {} : { code: reply.code }));
    else waiter.resolve(reply);
  }

  /** The thread died: its writes in flight were rolled back with it; the next write starts a new thread. */
  private failAll(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }
}
