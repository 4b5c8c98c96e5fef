import type pg from 'pg';
import type { ReplicaRegistry } from '../replica-registry';
import { replicaFromRow } from '../rows/replica-rows';
import type { Row } from './tenant-context';

/** Replicas in schema bh (a provider table: no tenant context). */
export function postgresReplicaRegistry(pool: pg.Pool): ReplicaRegistry {
  return {
    heartbeat: async (replica) => {
      await pool.query<Row>(
        `INSERT INTO bh.replicas (id, address, started_at, heartbeat_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, address = excluded.address`,
        [replica.id, replica.address, replica.startedAt, replica.heartbeatAt],
      );
    },
    remove: async (id) => {
      await pool.query<Row>('DELETE FROM bh.replicas WHERE id = $1', [id]);
    },
    live: async (since) => (await pool.query<Row>('SELECT * FROM bh.replicas WHERE heartbeat_at >= $1 ORDER BY started_at', [since])).rows.map(replicaFromRow),
  };
}
