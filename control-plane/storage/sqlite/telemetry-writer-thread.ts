import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { storePragmas } from './connection';
import { preparePacked, writePacked, type PackedBatch, type PackedStatements } from './packed-telemetry';

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

type WriteReply = { id: number; duplicates: string[] } | { id: number; error: string };

interface ThreadData {
  driver: string;
  pragmas: string[];
}

/**
 * The thread's whole program. It runs from its source text (so it works the same under tsx,
 * Vitest and the bundled CLI, with no worker file to ship): no imports, no outer names; what
 * it needs comes in as arguments.
 */
function writerThreadMain(
  load: (id: string) => unknown,
  data: ThreadData,
  prepare: (db: Database.Database) => PackedStatements,
  write: (statements: PackedStatements, batches: readonly PackedBatch[]) => string[],
): void {
  const Sqlite = load(data.driver) as typeof Database;
  const { parentPort } = load('node:worker_threads') as { parentPort: MessagePort | null };
  if (parentPort === null) return;
  const stores = new Map<string, { db: Database.Database; transaction: Database.Transaction<(batches: PackedBatch[]) => string[]> }>();
  parentPort.on('message', (message: WriteRequest | ForgetRequest) => {
    if ('forget' in message) {
      for (const [file, store] of stores) {
        if (file.startsWith(message.forget)) {
          store.db.close();
          stores.delete(file);
        }
      }
      parentPort.postMessage({ id: message.id, duplicates: [] } satisfies WriteReply);
      return;
    }
    try {
      let transaction = stores.get(message.file)?.transaction;
      if (transaction === undefined) {
        // The main thread opened and migrated the file first; this is a second connection to it.
        const db = new Sqlite(message.file);
        try {
          for (const pragma of data.pragmas) db.pragma(pragma);
          const statements = prepare(db);
          transaction = db.transaction((batches: PackedBatch[]) => write(statements, batches));
        } catch (error) {
          db.close();
          throw error;
        }
        stores.set(message.file, { db, transaction });
      }
      const duplicates = transaction.immediate(message.batches);
      parentPort.postMessage({ id: message.id, duplicates } satisfies WriteReply);
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies WriteReply);
    }
  });
}

// esbuild (tsx, Vite) may wrap named functions in __name(): give the thread a harmless one.
const threadSource = `var __name = (target) => target;
(${writerThreadMain.toString()})(require, require('node:worker_threads').workerData, (${preparePacked.toString()}), (${writePacked.toString()}));`;

/**
 * The shared telemetry store's writer on its own thread: while it commits (an fsync), the main
 * thread goes on parsing, authenticating and sealing the next batches, which the ingest writer
 * then hands over together. A batch's promise resolves only after its transaction committed.
 */
export class TelemetryWriterThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (duplicates: string[]) => void; reject: (error: Error) => void }>();

  /** Writes the batches into `file` in one transaction; resolves with the keys already stored. */
  write(file: string, batches: PackedBatch[]): Promise<string[]> {
    return this.send((id) => ({ id, file, batches }) satisfies WriteRequest);
  }

  /** Closes the thread's connections to files under `dir`, before they are removed. */
  async forget(dir: string): Promise<void> {
    if (this.worker === null) return;
    await this.send((id) => ({ id, forget: dir }) satisfies ForgetRequest);
  }

  private send(message: (id: number) => WriteRequest | ForgetRequest): Promise<string[]> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a request is in flight.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(message(id));
    });
  }

  private started(): Worker {
    if (this.worker !== null) return this.worker;
    const data: ThreadData = { driver: createRequire(import.meta.url).resolve('better-sqlite3'), pragmas: storePragmas() };
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
    else waiter.resolve(reply.duplicates);
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
