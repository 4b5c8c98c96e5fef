import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open } from '../crypto/seal';
import type { Storage } from '../storage/types';
import { newTenantDataKey, TenantCrypto } from '../tenancy/tenant-keys';
import { openBatchDetails, prepareBatch } from './batch-details';

const deploymentKey = randomBytes(32);
const tenantA = '11111111-1111-4111-8111-111111111111';
const tenantB = '22222222-2222-4222-8222-222222222222';
const keys = new Map([tenantA, tenantB].map((id) => [id, newTenantDataKey(deploymentKey, id).wrapped]));
/** Only the key lookup of storage is used by TenantCrypto. */
const storage = { tenantDataKey: (id: string) => Promise.resolve(keys.get(id) ?? null) } as unknown as Storage;
const crypto = new TenantCrypto(storage, deploymentKey);
const TEST = '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';

describe('batch details: one seal per batch', () => {
  const body = {
    batch_id: 'b-1',
    results: [
      { test_id: TEST, ts: '2026-12-01T00:00:00Z', latency_ms: 12, ok: true },
      { test_id: TEST, ts: '2026-12-01T00:00:01Z', latency_ms: null, ok: false, target: 'https://secret.example', error: 'timeout' },
    ],
    flow_events: [{ ts: '2026-12-01T00:00:00Z', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp' as const, bytes: 1, packets: 1 }],
  };

  it('keeps test id, time, latency and ok in clear columns and everything else in one sealed blob that opens back', async () => {
    const batch = await prepareBatch(crypto, { id: tenantA, isolationModel: 'pooled' }, 'agent-1', body, 321, '2026-12-01T00:00:02Z');
    expect(batch).toMatchObject({ testIds: [TEST, TEST], latencyMs: [12, null], ok: [true, false], flowCount: 1, bytes: 321 });
    expect(batch.sealed?.includes(Buffer.from('secret.example'))).toBe(false);
    expect(await openBatchDetails(crypto, tenantA, 'b-1', batch.sealed)).toEqual({ v: 1, results: [[1, 'https://secret.example', null, 'timeout']], flows: body.flow_events });
  });

  it("cannot be opened as another batch or with another tenant's key", async () => {
    const batch = await prepareBatch(crypto, { id: tenantA, isolationModel: 'pooled' }, 'agent-1', body, 0, '2026-12-01T00:00:02Z');
    await expect(openBatchDetails(crypto, tenantA, 'b-2', batch.sealed)).rejects.toThrow();
    await expect(openBatchDetails(crypto, tenantB, 'b-1', batch.sealed)).rejects.toThrow();
    expect(() => open(randomBytes(32), batch.sealed ?? Buffer.alloc(0), `${tenantA}/telemetry-batch/b-1`)).toThrow();
  });

  it('seals nothing for a batch with no details', async () => {
    const batch = await prepareBatch(crypto, { id: tenantA, isolationModel: 'pooled' }, 'agent-1', { batch_id: 'plain', results: body.results.slice(0, 1), flow_events: [] }, 0, '2026-12-01T00:00:02Z');
    expect(batch.sealed).toBeNull();
    expect(await openBatchDetails(crypto, tenantA, 'plain', null)).toEqual({ v: 1, results: [], flows: [] });
  });
});
