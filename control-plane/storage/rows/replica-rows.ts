import { z } from 'zod';
import type { ReplicaRecord } from '../replica-registry';
import { text } from './columns';

/** The row of replicas, the same on both engines. */
const Row = z.object({ id: text, address: text, started_at: text, heartbeat_at: text });

export function replicaFromRow(value: unknown): ReplicaRecord {
  const row = Row.parse(value);
  return { id: row.id, address: row.address, startedAt: row.started_at, heartbeatAt: row.heartbeat_at };
}
