import { randomUUID } from 'node:crypto';
import type { ReplicaRecord, Storage } from '../storage/types';

export const HEARTBEAT_EVERY_MS = 5_000;
/** A replica silent for this long is not live: three missed heartbeats. */
export const LIVE_WINDOW_MS = 3 * HEARTBEAT_EVERY_MS;

/**
 * This process's presence among the control-plane replicas sharing one database: it heartbeats,
 * and tells how many replicas are live, so per-tenant rates can be split across them (as Grafana
 * Mimir divides a tenant's global limit by its healthy distributors).
 */
export class ReplicaPresence {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private record: ReplicaRecord | null = null;
  private liveCount = 1;

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => Date,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async start(address: string): Promise<void> {
    const now = this.clock().toISOString();
    this.record = { id: this.id, address, startedAt: now, heartbeatAt: now };
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch(this.onError);
    }, HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.record === null) return;
    this.record = { ...this.record, heartbeatAt: this.clock().toISOString() };
    await this.storage.replicas.heartbeat(this.record);
    this.liveCount = Math.max(1, (await this.live()).length);
  }

  live(): Promise<ReplicaRecord[]> {
    return this.storage.replicas.live(new Date(this.clock().getTime() - LIVE_WINDOW_MS).toISOString());
  }

  /** Live replicas as of the last heartbeat (at least this one). */
  get liveReplicas(): number {
    return this.liveCount;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (this.record !== null) {
      this.record = null;
      await this.storage.replicas.remove(this.id);
    }
  }
}
