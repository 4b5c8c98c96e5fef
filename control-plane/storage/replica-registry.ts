export interface ReplicaRecord {
  id: string;
  address: string;
  startedAt: string;
  heartbeatAt: string;
}

/** Control-plane replicas serving the same data; each heartbeats, and rates are split across the live ones. */
export interface ReplicaRegistry {
  heartbeat(replica: ReplicaRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /** Replicas whose last heartbeat is at or after `since`. */
  live(since: string): Promise<ReplicaRecord[]>;
}
