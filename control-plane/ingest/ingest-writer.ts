import { DeficitRoundRobin } from '../fairness/drr-scheduler';
import type { TelemetryBatchWrite, TelemetryStore } from '../storage/types';

/** A batch refused because the writer is saturated; it was not stored, and a retry after `retryAfterMs` may be. */
export class WriterSaturatedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('the shared writer is saturated');
    this.name = 'WriterSaturatedError';
  }
}

interface Pending {
  batch: TelemetryBatchWrite;
  units: number;
  resolve: (result: { duplicate: boolean }) => void;
  reject: (error: unknown) => void;
}

export interface IngestWriterOptions {
  /** Deficit round robin across tenants (true) or one first-come queue (false, to show the difference). */
  fair: boolean;
  /** Units queued in all before the writer counts as saturated. */
  maxQueuedUnits: number;
  /** Units written per transaction at most (one commit, one fsync, for all of them). */
  maxUnitsPerWrite: number;
  /** DRR quantum in units. */
  quantum: number;
  /** After a write, how long to wait for more batches when fewer arrived than it wrote (0: never). */
  lingerMs: number;
  /** Called with the tenant and units of each batch shed from the queue (its tokens go back). */
  onShed?: (tenantId: string, units: number) => void;
}

export const defaultWriterOptions: IngestWriterOptions = { fair: true, maxQueuedUnits: 200_000, maxUnitsPerWrite: 10_000, quantum: 1000, lingerMs: 2 };

/**
 * The shared telemetry writer: admitted batches wait in per-tenant queues and are written in
 * batched transactions taken by deficit round robin, so one tenant's admitted burst cannot delay
 * another's writes by more than a round. A batch's promise settles only once it is durable.
 * When the queue is full, the tenant holding the largest share is shed first: its newest queued
 * batch is refused (never acknowledged, so nothing acknowledged is lost).
 */
export class IngestWriter {
  private readonly queue: DeficitRoundRobin<Pending>;
  private readonly depths = new Map<string, number>();
  private scheduled = false;
  private writing = false;
  /** Units per millisecond the writer has recently sustained (EWMA), for Retry-After. */
  private throughput = 100;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly telemetry: TelemetryStore,
    private readonly options: IngestWriterOptions = defaultWriterOptions,
  ) {
    this.queue = new DeficitRoundRobin<Pending>(options.quantum);
  }

  /** Batches of the tenant waiting for the writer. */
  queueDepth(tenantId: string): number {
    return this.depths.get(tenantId) ?? 0;
  }

  get queuedUnits(): number {
    return this.queue.queued;
  }

  submit(batch: TelemetryBatchWrite, units: number): Promise<{ duplicate: boolean }> {
    const tenantId = batch.tenant.id;
    const flow = this.options.fair ? tenantId : '*';
    if (this.queue.queued + units > this.options.maxQueuedUnits) {
      this.makeRoom(flow, units);
    }
    return new Promise((resolve, reject) => {
      this.queue.enqueue(flow, { batch, units, resolve, reject }, units);
      this.depths.set(tenantId, (this.depths.get(tenantId) ?? 0) + 1);
      this.schedule();
    });
  }

  /** Sheds queued work of the largest share until `units` fit, or refuses the newcomer if it holds that share. */
  private makeRoom(flow: string, units: number): void {
    while (this.queue.queued + units > this.options.maxQueuedUnits) {
      const largest = this.options.fair ? this.queue.largestShare() : null;
      if (largest === null || largest === flow) {
        throw new WriterSaturatedError(this.retryAfterMs());
      }
      const shed = this.queue.popLast(largest);
      if (shed === null) {
        throw new WriterSaturatedError(this.retryAfterMs());
      }
      this.settled(shed.item.batch.tenant.id);
      this.options.onShed?.(shed.item.batch.tenant.id, shed.cost);
      shed.item.reject(new WriterSaturatedError(this.retryAfterMs()));
    }
  }

  private retryAfterMs(): number {
    return Math.max(10, Math.ceil(this.queue.queued / Math.max(1, this.throughput)));
  }

  private settled(tenantId: string): void {
    const depth = (this.depths.get(tenantId) ?? 1) - 1;
    if (depth <= 0) this.depths.delete(tenantId);
    else this.depths.set(tenantId, depth);
  }

  /**
   * Writes after the current turn of the event loop, so that batches arriving together share one
   * transaction (group commit) instead of one fsync each.
   */
  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.queued > 0) {
        const taken = this.queue.nextBatch(this.options.maxUnitsPerWrite);
        if (taken.length === 0) break;
        const started = performance.now();
        let units = 0;
        try {
          const duplicates = await this.telemetry.writeBatches(taken.map((entry) => entry.item.batch));
          for (const { item } of taken) {
            units += item.units;
            this.settled(item.batch.tenant.id);
            item.resolve({ duplicate: duplicates.has(`${item.batch.tenant.id}/${item.batch.batchId}`) });
          }
        } catch (error) {
          for (const { item } of taken) {
            this.settled(item.batch.tenant.id);
            item.reject(error);
          }
        }
        const elapsed = Math.max(0.05, performance.now() - started);
        this.throughput = 0.8 * this.throughput + 0.2 * (units / elapsed);
        // Let requests that arrived meanwhile be parsed and queued before the next write.
        // Under load, linger briefly when few arrived: agents whose batches were just acknowledged
        // are sending their next ones, and one commit for all of them beats one each (group commit).
        if (this.queue.queued < units / 2 && this.options.lingerMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, this.options.lingerMs));
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.writing = false;
      if (this.queue.queued > 0) this.schedule();
      else for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once everything queued so far is written (for a graceful stop). */
  idle(): Promise<void> {
    if (this.queue.queued === 0 && !this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
