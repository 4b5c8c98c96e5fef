import type { Quotas } from '../../contracts/tenants';
import { ApiError } from '../errors';

/** The quotas that cap how many of something a tenant may create. */
export type CountQuota = 'max_agents' | 'max_users' | 'max_tests';

/**
 * The one quota check every creating feature calls before it creates: a hard cap answers
 * `429 quota_exceeded` with `{quota, limit, used}` (not retryable: waiting does not help).
 * Lowering a quota never deletes anything; it only stops creations past it.
 */
export function assertWithinQuota(quotas: Quotas, quota: CountQuota, used: number, adding = 1): void {
  const limit = quotas[quota];
  if (used + adding > limit) {
    throw new ApiError(429, 'quota_exceeded', `The tenant's ${quota} quota of ${limit} is reached (${used} in use).`, { quota, limit, used });
  }
}

const MIB = 1024 * 1024;

/**
 * `storage_quota_mb` for ingest: a batch that would take the tenant's stored telemetry past its
 * quota is refused whole (`429 quota_exceeded`, nothing stored). Checked per batch, so batches in
 * flight together may pass it by at most their own size.
 */
export function assertWithinStorageQuota(quotas: Quotas, usedBytes: number, addingBytes: number): void {
  const limit = quotas.storage_quota_mb;
  if (usedBytes + addingBytes > limit * MIB) {
    const used = Math.ceil((usedBytes / MIB) * 100) / 100;
    throw new ApiError(429, 'quota_exceeded', `The tenant's storage_quota_mb quota of ${limit} MB is reached (${used} MB stored). Nothing was stored.`, {
      quota: 'storage_quota_mb',
      limit,
      used,
    });
  }
}
