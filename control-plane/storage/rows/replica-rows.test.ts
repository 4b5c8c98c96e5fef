import { describe, expect, it } from 'vitest';
import { replicaFromRow } from './replica-rows';

describe('replica rows', () => {
  it('reads a replica, and refuses one without an address', () => {
    expect(replicaFromRow({ id: 'r', address: 'https://10.0.0.1:8443', started_at: 's', heartbeat_at: 'h' })).toEqual({ id: 'r', address: 'https://10.0.0.1:8443', startedAt: 's', heartbeatAt: 'h' });
    expect(() => replicaFromRow({ id: 'r', address: null, started_at: 's', heartbeat_at: 'h' })).toThrow();
  });
});
