import Database from 'better-sqlite3';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { preparePacked, removeUnfinished, writePacked, type PackedCursor, type PackedOutcome, type PackedStatements } from './packed-telemetry';
import type { ForgetRequest, PurgeRequest, ThreadData, Upkeep, UsageRequest, WriteReply, WriteRequest } from './telemetry-writer-protocol';

/**
 * The telemetry writer thread's program: one SQLite writer per thread, fed by TelemetryWriterThread
 * (telemetry-writer-thread.ts) over the worker port.
 *
 * A write that finds another request waiting pauses between rows: the waiting writes join its
 * transaction, which commits what it holds (a batch part-way is marked pending, which readers
 * skip), then the write goes on in a new one. A request's reply is posted only once all of its
 * batches are committed, so acknowledged still means durable; a tenant's small batch waits for a
 * few dozen rows of a neighbour's and shares its commit, instead of waiting for the neighbour's
 * whole transaction and then committing alone.
 */
function writerThreadMain(port: MessagePort, data: ThreadData): void {
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
    code?: string;
  }

  const store = (file: string) => {
    let open = stores.get(file);
    if (open === undefined) {
      // The main thread opened and migrated the file first; this is a second connection to it.
      const db = new Database(file);
      try {
        for (const pragma of data.pragmas) db.pragma(pragma);
        const statements = preparePacked(db);
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
  const codeOf = (error: unknown): { code?: string } => {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? { code } : {};
  };

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
          // Chunks first (by the tenant's key in this file), then batches, then the keys themselves.
          const key = db.prepare('SELECT id FROM telemetry_tenants WHERE tenant_id = ?').pluck().get(tenantId) as number | undefined;
          const steps: [string, number | string][] = [
            ['DELETE FROM telemetry_chunks WHERE rowid IN (SELECT rowid FROM telemetry_chunks WHERE tenant_id = ? LIMIT ?)', key ?? -1],
            ['DELETE FROM telemetry_batches WHERE rowid IN (SELECT rowid FROM telemetry_batches WHERE tenant_id = ? LIMIT ?)', tenantId],
            ['DELETE FROM telemetry_series WHERE rowid IN (SELECT rowid FROM telemetry_series WHERE tenant_id = ? LIMIT ?)', key ?? -1],
            ['DELETE FROM telemetry_tenants WHERE rowid IN (SELECT rowid FROM telemetry_tenants WHERE tenant_id = ? LIMIT ?)', tenantId],
          ];
          for (const [sql, id] of steps) {
            const changes = db.prepare(sql).run(id, limit).changes;
            if (changes > 0) return changes;
          }
          return 0;
        })
        .immediate();
      // secure_delete overwrote the freed pages in the file; the WAL still holds their old frames.
      if (removed === 0) db.pragma('wal_checkpoint(TRUNCATE)');
      port.postMessage({ id: message.id, duplicates: [], removed } satisfies WriteReply);
    } catch (error) {
      port.postMessage({ id: message.id, error: messageOf(error), ...codeOf(error) } satisfies WriteReply);
    }
  };

  const addUsage = (message: UsageRequest) => {
    const { file, tenantId, day, meter, value } = message.usage;
    try {
      store(file).statements.addUsage.run(tenantId, day, meter, value);
      port.postMessage({ id: message.id, duplicates: [] } satisfies WriteReply);
    } catch (error) {
      port.postMessage({ id: message.id, error: messageOf(error), ...codeOf(error) } satisfies WriteReply);
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
        db.transaction(() => writePacked(statements, message.batches, entry.outcome, start, never, data.pauseEvery))();
      } catch (error) {
        entry.error = messageOf(error);
        entry.code = codeOf(error).code;
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
          const next = writePacked(statements, message.batches, outcome, from, pausable ? shouldPause : never, data.pauseEvery);
          if (next !== null) others = joinWaiting(message.file, db, statements, joined);
          return next;
        }).immediate();
        // Committed: the writes that joined it are durable.
        for (const entry of joined) settle(entry.error === null ? { id: entry.id, duplicates: entry.outcome.duplicates } : { id: entry.id, error: entry.error, ...(entry.code === undefined ? {} : { code: entry.code }) }, entry.outcome.waitsForPending);
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
      for (const entry of joined) port.postMessage({ id: entry.id, error: messageOf(error), ...codeOf(error) } satisfies WriteReply);
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
      return { reply: { id: message.id, error: messageOf(error), ...codeOf(error) }, waits: false };
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
    for (const waiting of replies) port.postMessage('error' in reply ? { ...reply, id: waiting.id } : waiting);
    const waiting = deferred;
    deferred = [];
    for (const request of waiting) upkeep(request);
  });
}

// Run as a worker thread (not when imported for its types or by a test on the main thread).
if (parentPort !== null) writerThreadMain(parentPort, workerData as ThreadData);
