import { DeficitRoundRobin } from '../fairness/drr-scheduler';
import type { TelemetryBatchWrite, TelemetryStore, TenantRef } from '../storage/types';

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

/** One store's queue and its write loop: stores commit independently of each other. */
interface Lane {
  queue: DeficitRoundRobin<Pending>;
  scheduled: boolean;
  writing: boolean;
  /** Set while the lane lingers for the tenants it just wrote; a batch of any other tenant ends it. */
  lingering: { tenants: ReadonlySet<string>; end: () => void } | null;
  /** The tenants of the write being committed. */
  inFlight: ReadonlySet<string> | null;
  /** A sparse tenant's batch being written beside the write in flight (at most one at a time). */
  interjecting: boolean;
}

/**
 * The telemetry writer: admitted batches wait in per-tenant queues and are written in batched
 * transactions taken by deficit round robin, so one tenant's admitted burst cannot delay
 * another's writes by more than a round. Each store file has its own lane (each pooled telemetry
 * cell one, each tenant with its own telemetry store another: see TelemetryStore.writeLane), so a
 * tenant's writes never wait for the commits of a file it is not in. A batch's promise settles only once it is durable. When the queues
 * are full, the tenant holding the largest share is shed first: its newest queued batch is
 * refused (never acknowledged, so nothing acknowledged is lost).
 */
export class IngestWriter {
  private readonly lanes = new Map<string, Lane>();
  private readonly depths = new Map<string, number>();
  private totalQueued = 0;
  /** Units per millisecond the writer has recently sustained (EWMA), for Retry-After. */
  private throughput = 100;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly telemetry: TelemetryStore,
    private readonly options: IngestWriterOptions = defaultWriterOptions,
  ) {}

  /** Batches of the tenant waiting for the writer. */
  queueDepth(tenantId: string): number {
    return this.depths.get(tenantId) ?? 0;
  }

  get queuedUnits(): number {
    return this.totalQueued;
  }

  /**
   * The lane a tenant's batches queue in: its store's write lane, or with fairness off one
   * first-come lane for everything, `all` (to show what fairness prevents).
   */
  laneOf(tenant: TenantRef): string {
    return this.options.fair ? this.telemetry.writeLane(tenant) : 'all';
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { queue: new DeficitRoundRobin<Pending>(this.options.quantum), scheduled: false, writing: false, lingering: null, inFlight: null, interjecting: false };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  submit(batch: TelemetryBatchWrite, units: number): Promise<{ duplicate: boolean }> {
    const tenantId = batch.tenant.id;
    const flow = this.options.fair ? tenantId : '*';
    if (this.totalQueued + units > this.options.maxQueuedUnits) {
      this.makeRoom(flow, units);
    }
    const key = this.laneOf(batch.tenant);
    const lane = this.lane(key);
    return new Promise((resolve, reject) => {
      this.depths.set(tenantId, (this.depths.get(tenantId) ?? 0) + 1);
      if (this.interjects(lane, flow, units)) {
        void this.interject(key, lane, { batch, units, resolve, reject });
        return;
      }
      lane.queue.enqueue(flow, { batch, units, resolve, reject }, units);
      this.totalQueued += units;
      if (lane.lingering !== null && !lane.lingering.tenants.has(flow)) lane.lingering.end();
      this.schedule(key, lane);
    });
  }

  /**
   * A sparse tenant (nothing queued, not in the write being committed) with a small batch goes
   * straight to the store beside the write in flight, as fair queueing serves new flows first:
   * the store pauses the larger write for it (see telemetry-writer-thread.ts), so a quiet
   * tenant's batch waits for a few dozen rows of a neighbour's, not for its whole commit.
   */
  private interjects(lane: Lane, flow: string, units: number): boolean {
    return this.options.fair && lane.inFlight !== null && !lane.interjecting && !lane.inFlight.has(flow) && units <= this.options.quantum && lane.queue.queuedCostOf(flow) === 0;
  }

  private async interject(key: string, lane: Lane, pending: Pending): Promise<void> {
    lane.interjecting = true;
    try {
      const duplicates = await this.telemetry.writeBatches([pending.batch]);
      pending.resolve({ duplicate: duplicates.has(`${pending.batch.tenant.id}/${pending.batch.batchId}`) });
    } catch (error) {
      pending.reject(error);
    } finally {
      this.settled(pending.batch.tenant.id);
      lane.interjecting = false;
      this.afterWrite(key, lane);
    }
  }

  /** After a write on the lane: write what is queued next, or drop the lane once nothing is in flight. */
  private afterWrite(key: string, lane: Lane): void {
    if (lane.writing) return;
    if (lane.queue.hasWork) this.schedule(key, lane);
    else if (!lane.scheduled && !lane.interjecting) {
      this.lanes.delete(key);
      this.wakeIfIdle();
    }
  }

  /** The flow queuing the most units across every lane, and its lane. */
  private largestShare(): { lane: Lane; flow: string } | null {
    let best: { lane: Lane; flow: string; cost: number } | null = null;
    for (const lane of this.lanes.values()) {
      const flow = lane.queue.largestShare();
      if (flow === null) continue;
      const cost = lane.queue.queuedCostOf(flow);
      if (best === null || cost > best.cost) best = { lane, flow, cost };
    }
    return best;
  }

  /** Sheds queued work of the largest share until `units` fit, or refuses the newcomer if it holds that share. */
  private makeRoom(flow: string, units: number): void {
    while (this.totalQueued + units > this.options.maxQueuedUnits) {
      const largest = this.options.fair ? this.largestShare() : null;
      if (largest === null || largest.flow === flow) {
        throw new WriterSaturatedError(this.retryAfterMs());
      }
      const shed = largest.lane.queue.popLast(largest.flow);
      if (shed === null) {
        throw new WriterSaturatedError(this.retryAfterMs());
      }
      this.totalQueued -= shed.cost;
      this.settled(shed.item.batch.tenant.id);
      this.options.onShed?.(shed.item.batch.tenant.id, shed.cost);
      shed.item.reject(new WriterSaturatedError(this.retryAfterMs()));
    }
  }

  private retryAfterMs(): number {
    return Math.max(10, Math.ceil(this.totalQueued / Math.max(1, this.throughput)));
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
  private schedule(key: string, lane: Lane): void {
    if (lane.scheduled || lane.writing) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      void this.drain(key, lane);
    });
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    if (lane.writing) return;
    lane.writing = true;
    try {
      while (lane.queue.hasWork) {
        const taken = lane.queue.nextBatch(this.options.maxUnitsPerWrite);
        if (taken.length === 0) break;
        const started = performance.now();
        let units = 0;
        for (const { cost } of taken) units += cost;
        this.totalQueued -= units;
        lane.inFlight = new Set(taken.map((entry) => entry.tenant));
        try {
          const duplicates = await this.telemetry.writeBatches(taken.map((entry) => entry.item.batch));
          for (const { item } of taken) {
            this.settled(item.batch.tenant.id);
            item.resolve({ duplicate: duplicates.has(`${item.batch.tenant.id}/${item.batch.batchId}`) });
          }
        } catch (error) {
          for (const { item } of taken) {
            this.settled(item.batch.tenant.id);
            item.reject(error);
          }
        } finally {
          lane.inFlight = null;
        }
        const elapsed = Math.max(0.05, performance.now() - started);
        this.throughput = 0.8 * this.throughput + 0.2 * (units / elapsed);
        // Let requests that arrived meanwhile be parsed and queued before the next write.
        // When only the tenants just written have work queued, and little of it, linger briefly:
        // their agents are sending their next batches, and one commit for all of them beats one
        // each (group commit). Another tenant's batch is never kept waiting for that.
        const written = new Set(taken.map((entry) => entry.tenant));
        if (this.options.lingerMs > 0 && lane.queue.queued < units / 2 && !lane.queue.hasWorkOutside(written)) await this.linger(lane, written);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      lane.writing = false;
      this.afterWrite(key, lane);
    }
  }

  private linger(lane: Lane, tenants: ReadonlySet<string>): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        lane.lingering = null;
        resolve();
      };
      const timer = setTimeout(end, this.options.lingerMs);
      lane.lingering = { tenants, end };
    });
  }

  private wakeIfIdle(): void {
    if (this.lanes.size > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once everything queued so far is written (for a graceful stop). */
  idle(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
