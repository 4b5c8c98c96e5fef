import { rateLimited } from '../telemetry/telemetry-access';
import { TokenBucket } from './token-bucket';

/**
 * The tenant plane's request limit, the tenant's `api_rate_limit_rpm` quota: a bucket per tenant
 * that refills at rpm/60 per second and holds a minute's worth, so a quiet client may burst. Only
 * valid credentials spend it (a stranger cannot exhaust a tenant's budget), and like the fairness
 * buckets it counts per replica. 0 allows no calls.
 */
export class ApiRateLimit {
  private readonly buckets = new Map<string, { rpm: number; bucket: TokenBucket }>();

  constructor(private readonly nowMs: () => number) {}

  /** Spends one request of the tenant's budget, or throws `429 rate_limited` with Retry-After. */
  spend(tenant: { id: string; quotas: { api_rate_limit_rpm: number } }): void {
    const rpm = tenant.quotas.api_rate_limit_rpm;
    if (rpm === 0) {
      throw rateLimited(60_000, "This tenant's API rate limit is 0 requests per minute: the provider has to raise it (quotas).", { api_rate_limit_rpm: 0 });
    }
    let entry = this.buckets.get(tenant.id);
    if (entry === undefined) {
      entry = { rpm, bucket: new TokenBucket(rpm / 60, rpm, this.nowMs()) };
      this.buckets.set(tenant.id, entry);
    } else if (entry.rpm !== rpm) {
      // A changed quota applies at once, keeping the bucket's fill ratio (as fairness limits do).
      entry.bucket.reconfigure(rpm / 60, rpm, this.nowMs());
      entry.rpm = rpm;
    }
    const take = entry.bucket.take(1, this.nowMs());
    if (!take.admitted) {
      throw rateLimited(take.retryAfterMs, `Over this tenant's API rate limit (${rpm} requests per minute). Retry after Retry-After.`, { api_rate_limit_rpm: rpm });
    }
  }
}
