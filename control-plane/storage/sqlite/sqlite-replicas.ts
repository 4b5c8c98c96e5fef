import type Database from 'better-sqlite3';
import type { ReplicaRegistry } from '../replica-registry';
import { replicaFromRow } from '../rows/replica-rows';
import { done } from './connection';

/** Replicas in the control store. */
export function sqliteReplicaRegistry(db: Database.Database): ReplicaRegistry {
  return {
    heartbeat(replica) {
      db.prepare(
        `INSERT INTO replicas (id, address, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, address = excluded.address`,
      ).run(replica.id, replica.address, replica.startedAt, replica.heartbeatAt);
      return done;
    },
    remove(id) {
      db.prepare('DELETE FROM replicas WHERE id = ?').run(id);
      return done;
    },
    live: (since) => Promise.resolve(db.prepare('SELECT * FROM replicas WHERE heartbeat_at >= ? ORDER BY started_at').all(since).map(replicaFromRow)),
  };
}
