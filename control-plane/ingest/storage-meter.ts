import type { TelemetryStore, TenantRef } from '../storage/types';

/**
 * Telemetry bytes a tenant has stored (its `ingest_bytes` meter over all days), for the
 * `storage_quota_mb` check on every batch. Read from storage at most every `refreshMs` and counted
 * forward on each acknowledged batch in between, so a check costs no query and replicas converge
 * on the stored figure within `refreshMs`.
 */
export class StorageMeter {
  private readonly known = new Map<string, { bytes: number; readAtMs: number }>();

  constructor(
    private readonly telemetry: Pick<TelemetryStore, 'usage'>,
    private readonly nowMs: () => number,
    private readonly refreshMs = 30_000,
  ) {}

  async usedBytes(tenant: TenantRef): Promise<number> {
    const now = this.nowMs();
    const entry = this.known.get(tenant.id);
    if (entry !== undefined && now - entry.readAtMs < this.refreshMs) return entry.bytes;
    const meters = await this.telemetry.usage(tenant, '0000-01-01', '9999-12-31');
    const bytes = meters.reduce((sum, row) => (row.meter === 'ingest_bytes' ? sum + row.value : sum), 0);
    this.known.set(tenant.id, { bytes, readAtMs: now });
    return bytes;
  }

  /** Counts an acknowledged batch until the next read from storage. */
  add(tenantId: string, bytes: number): void {
    const entry = this.known.get(tenantId);
    if (entry !== undefined) entry.bytes += bytes;
  }
}
