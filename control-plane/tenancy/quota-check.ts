import type { Quotas } from '../../contracts/tenants';
import { ApiError } from '../http/errors';

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
