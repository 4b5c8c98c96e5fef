import { describe, expect, it } from 'vitest';
import { StorageMeter } from './storage-meter';

/** A usage source counting its reads; its figure can be changed as another replica's writes would. */
function usageSource(initial: number) {
  const source = {
    bytes: initial,
    reads: 0,
    usage: () => {
      source.reads++;
      return Promise.resolve([
        { day: '2026-12-01', meter: 'ingest_bytes' as const, value: source.bytes },
        { day: '2026-12-01', meter: 'results_ingested' as const, value: 999_999 },
      ]);
    },
  };
  return source;
}

describe('StorageMeter', () => {
  const tenant = { id: 't-1', isolationModel: 'pooled' as const };

  it('reads ingest_bytes once, counts acknowledged batches forward, and re-reads after the refresh interval', async () => {
    let now = 0;
    const source = usageSource(1000);
    const meter = new StorageMeter(source, () => now, 30_000);
    expect(await meter.usedBytes(tenant)).toBe(1000);
    meter.add('t-1', 500);
    expect(await meter.usedBytes(tenant)).toBe(1500);
    expect(source.reads).toBe(1);
    // Another replica stored more: seen once the interval has passed.
    source.bytes = 9000;
    now = 30_000;
    expect(await meter.usedBytes(tenant)).toBe(9000);
    expect(source.reads).toBe(2);
  });

  it('ignores batches of a tenant it has not read yet (the next read counts them)', async () => {
    const source = usageSource(10);
    const meter = new StorageMeter(source, () => 0);
    meter.add('t-1', 500);
    expect(await meter.usedBytes(tenant)).toBe(10);
  });
});
