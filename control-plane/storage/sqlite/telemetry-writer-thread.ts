import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { storePragmas } from './connection';
import { preparePacked, removeUnfinished, writePacked, type PackedBatch, type PackedCursor, type PackedOutcome, type PackedStatements } from './packed-telemetry';

interface WriteRequest {
  id: number;
  file: string;
  batches: PackedBatch[];
}

/** Close every connection to a file under this directory (its tenant is being removed). */
interface ForgetRequest {
  id: number;
  forget: string;
}

/**
 * Remove up to `limit` rows of a deleted tenant's telemetry from a pooled cell, results first,
 * in a transaction of their own; `removed` 0 means none is left (and the WAL is truncated, so
 * the deleted rows' frames go too).
 */
interface PurgeRequest {
  id: number;
  purge: { file: string; tenantId: string; limit: number };
}

/**
 * Add to a usage meter in a store file. On this thread rather than the main one: a write there
 * would wait, with the event loop stopped, for this thread's transaction in flight to commit.
 */
interface UsageRequest {
  id: number;
  usage: { file: string; tenantId: string; day: string; meter: string; value: number };
}

/** Requests that are not batch writes: never counted as waiting writes, and run after a paused write. */
type Upkeep = ForgetRequest | PurgeRequest | UsageRequest;

type WriteReply = { id: number; duplicates: string[]; removed?: number } | { id: number; error: string };
type Done = Exclude<WriteReply, { error: string }>;

interface ThreadData {
  driver: string;
  pragmas: string[];
  /** One Int32: write requests the main thread has posted. More than the thread took means one waits. */
  posted: SharedArrayBuffer;
  /** One Int32: transactions of the main thread waiting for, or holding, a file this thread writes. */
  holds: SharedArrayBuffer;
  /** Rows written between looks at whether another request waits. */
  pauseEvery: number;
}

/**
 * The thread's whole program. It runs from its source text (so it works the same under tsx,
 * Vitest and the bundled CLI, with no worker file to ship): no imports, no outer names; what
 * it needs comes in as arguments.
 *
 * A write that finds another request waiting pauses between rows: the waiting writes join its
 * transaction, which commits what it holds (a batch part-way is marked pending, which readers
 * skip), then the write goes on in a new one. A request's reply is posted only once all of its
 * batches are committed, so acknowledged still means durable; a tenant's small batch waits for a
 * few dozen rows of a neighbour's and shares its commit, instead of waiting for the neighbour's
 * whole transaction and then committing alone.
 */
function writerThreadMain(
  load: (id: string) => unknown,
  data: ThreadData,
  prepare: (db: Database.Database) => PackedStatements,
  write: (statements: PackedStatements, batches: readonly PackedBatch[], outcome: PackedOutcome, from: PackedCursor, shouldPause: () => boolean, pauseEvery: number) => PackedCursor | null,
  removeUnfinished: (statements: PackedStatements) => number,
): void {
  const Sqlite = load(data.driver) as typeof Database;
  const { parentPort, receiveMessageOnPort } = load('node:worker_threads') as {
    parentPort: MessagePort | null;
    receiveMessageOnPort: (port: MessagePort) => { message: unknown } | undefined;
  };
  if (parentPort === null) return;
  const port = parentPort;
  const posted = new Int32Array(data.posted);
  let taken = 0;
  const holds = new Int32Array(data.holds);
  const shouldPause = () => Atomics.load(posted, 0) > taken || Atomics.load(holds, 0) > 0;
  /**
   * After a pause for the main thread: stay out of the files until its transaction ends, so its
   * BEGIN waits for one stretch of rows and a commit, not for a whole large write (it waits with
   * the event loop stopped). Bounded like SQLite's own busy timeout.
   */
  const waitWhileHeld = () => {
    const until = Date.now() + 5000;
    for (let held = Atomics.load(holds, 0); held > 0 && Date.now() < until; held = Atomics.load(holds, 0)) Atomics.wait(holds, 0, held, 50);
  };
  const never = () => false;
  const stores = new Map<string, { db: Database.Database; statements: PackedStatements }>();
  /** Replies of waiting writes that repeated a paused batch: posted once it is committed. */
  let held: WriteReply[] = [];
  /** Upkeep requests (close, purge, meter) taken while a write was paused: run after it. */
  let deferred: Upkeep[] = [];
  /** A waiting write that joined a paused write's transaction; answered once that commits. */
  interface Joined {
    id: number;
    outcome: PackedOutcome;
    error: string | null;
  }

  const store = (file: string) => {
    let open = stores.get(file);
    if (open === undefined) {
      // The main thread opened and migrated the file first; this is a second connection to it.
      const db = new Sqlite(file);
      try {
        for (const pragma of data.pragmas) db.pragma(pragma);
        const statements = prepare(db);
        // This thread is the file's only writer: a pending batch now was left by a stopped process.
        db.transaction(() => removeUnfinished(statements)).immediate();
        open = { db, statements };
      } catch (error) {
        db.close();
        throw error;
      }
      stores.set(file, open);
    }
    return open;
  };

  const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

  const forget = (message: ForgetRequest) => {
    for (const [file, open] of stores) {
      if (file.startsWith(message.forget)) {
        open.db.close();
        stores.delete(file);
      }
    }
    port.postMessage({ id: message.id, duplicates: [] } satisfies WriteReply);
  };

  const purge = (message: PurgeRequest) => {
    const { file, tenantId, limit } = message.purge;
    try {
      const { db } = store(file);
      const removed = db
        .transaction(() => {
          for (const table of ['telemetry_results', 'telemetry_batches']) {
            const changes = db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE tenant_id = ? LIMIT ?)`).run(tenantId, limit).changes;
            if (changes > 0) return changes;
          }
          return 0;
        })
        .immediate();
      // secure_delete overwrote the freed pages in the file; the WAL still holds their old frames.
      if (removed === 0) db.pragma('wal_checkpoint(TRUNCATE)');
      port.postMessage({ id: message.id, duplicates: [], removed } satisfies WriteReply);
    } catch (error) {
      port.postMessage({ id: message.id, error: messageOf(error) } satisfies WriteReply);
    }
  };

  const addUsage = (message: UsageRequest) => {
    const { file, tenantId, day, meter, value } = message.usage;
    try {
      store(file).statements.addUsage.run(tenantId, day, meter, value);
      port.postMessage({ id: message.id, duplicates: [] } satisfies WriteReply);
    } catch (error) {
      port.postMessage({ id: message.id, error: messageOf(error) } satisfies WriteReply);
    }
  };

  const upkeep = (message: Upkeep) => {
    if ('forget' in message) forget(message);
    else if ('purge' in message) purge(message);
    else addUsage(message);
  };

  const start: PackedCursor = { batch: 0, row: 0, pendingFrom: null };
  const settle = (reply: WriteReply, waits: boolean) => {
    if (waits) held.push(reply);
    else port.postMessage(reply);
  };

  /**
   * Takes the requests waiting on the port. Writes to `file` join the paused write's transaction,
   * each in a savepoint (a failed one is undone alone), so one commit, one fsync, covers them all;
   * writes to other files are returned, to be written in transactions of their own.
   */
  const joinWaiting = (file: string, db: Database.Database, statements: PackedStatements, joined: Joined[]): WriteRequest[] => {
    const others: WriteRequest[] = [];
    for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
      const message = next.message as WriteRequest | Upkeep;
      if (!('file' in message)) {
        deferred.push(message);
        continue;
      }
      taken++;
      if (message.file !== file) {
        others.push(message);
        continue;
      }
      const entry: Joined = { id: message.id, outcome: { duplicates: [], waitsForPending: false }, error: null };
      try {
        db.transaction(() => write(statements, message.batches, entry.outcome, start, never, data.pauseEvery))();
      } catch (error) {
        entry.error = messageOf(error);
      }
      joined.push(entry);
    }
    return others;
  };

  /** One transaction per stretch between pauses; a pause lets the requests waiting go first. */
  const writeAll = (message: WriteRequest, pausable: boolean): { reply: WriteReply; waits: boolean } => {
    const outcome: PackedOutcome = { duplicates: [], waitsForPending: false };
    let open: { db: Database.Database; statements: PackedStatements } | undefined;
    let paused = false;
    let joined: Joined[] = [];
    let others: WriteRequest[] = [];
    try {
      const { db, statements } = store(message.file);
      open = { db, statements };
      let cursor: PackedCursor | null = start;
      while (cursor !== null) {
        const from: PackedCursor = cursor;
        cursor = db.transaction(() => {
          const next = write(statements, message.batches, outcome, from, pausable ? shouldPause : never, data.pauseEvery);
          if (next !== null) others = joinWaiting(message.file, db, statements, joined);
          return next;
        }).immediate();
        // Committed: the writes that joined it are durable.
        for (const entry of joined) settle(entry.error === null ? { id: entry.id, duplicates: entry.outcome.duplicates } : { id: entry.id, error: entry.error }, entry.outcome.waitsForPending);
        joined = [];
        if (cursor !== null) paused = true;
        for (const other of others.splice(0)) {
          const written = writeAll(other, false);
          settle(written.reply, written.waits);
        }
        if (cursor !== null) waitWhileHeld();
      }
      return { reply: { id: message.id, duplicates: outcome.duplicates }, waits: outcome.waitsForPending };
    } catch (error) {
      // The writes that joined the failed transaction were rolled back with it; those for other files were not tried yet.
      for (const entry of joined) port.postMessage({ id: entry.id, error: messageOf(error) } satisfies WriteReply);
      for (const other of others) {
        const written = writeAll(other, false);
        settle(written.reply, written.waits);
      }
      // A batch left part-way must not stay pending: its agent's retry would be taken for a duplicate.
      if (paused && open !== undefined) {
        try {
          const statements = open.statements;
          open.db.transaction(() => removeUnfinished(statements)).immediate();
        } catch {
          // The store is unusable; the next open of the file removes the batch.
          stores.delete(message.file);
          open.db.close();
        }
      }
      return { reply: { id: message.id, error: messageOf(error) }, waits: false };
    }
  };

  port.on('message', (message: WriteRequest | Upkeep) => {
    if (!('file' in message)) {
      upkeep(message);
      return;
    }
    taken++;
    const { reply } = writeAll(message, true);
    port.postMessage(reply);
    const replies = held;
    held = [];
    // A repeat of a batch that failed part-way was not stored either.
    for (const waiting of replies) port.postMessage('error' in reply ? { id: waiting.id, error: reply.error } : waiting);
    const waiting = deferred;
    deferred = [];
    for (const request of waiting) upkeep(request);
  });
}

// esbuild (tsx, Vite) may wrap named functions in __name(): give the thread a harmless one.
const threadSource = `var __name = (target) => target;
(${writerThreadMain.toString()})(require, require('node:worker_threads').workerData, (${preparePacked.toString()}), (${writePacked.toString()}), (${removeUnfinished.toString()}));`;

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
    const data: ThreadData = { driver: createRequire(import.meta.url).resolve('better-sqlite3'), pragmas: [...storePragmas(), ...this.extraPragmas], posted: this.posted.buffer, holds: this.holds.buffer, pauseEvery: this.pauseEvery };
    const worker = new Worker(threadSource, { eval: true, workerData: data });
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
    if ('error' in reply) waiter.reject(new Error(reply.error));
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
