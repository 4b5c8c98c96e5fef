import type { TenantPermission } from '../../contracts/tenant-directory';
import type { TenantAuth } from '../auth/tenant-auth';
import { GrantAuth } from '../breakglass/grant-access';
import { ApiError } from '../errors';
import type { FairnessRegistry } from '../fairness/fairness-registry';
import type { TenantRecord } from '../storage/types';

/** `429 rate_limited` with Retry-After in whole seconds (HTTP) and in milliseconds in the body. */
export function rateLimited(retryAfterMs: number, message: string, details: Record<string, unknown> = {}): ApiError {
  const ms = Math.max(1, Math.ceil(retryAfterMs));
  return new ApiError(429, 'rate_limited', message, { retry_after_ms: ms, ...details }, { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });
}

/** Who reads a tenant's telemetry on one request, and how the read is recorded. */
export interface TelemetryCaller {
  tenant: TenantRecord;
  /** Records the read once answered: a grant's read goes to both ledgers; a tenant user's is a no-op. */
  recorded(query: object, rows: number): Promise<void>;
}

/**
 * Who may read telemetry: a tenant user with the permission, or an operator's active break-glass
 * grant for that tenant (checked and ledgered by GrantAuth). Each call spends one unit of the
 * tenant's query budget.
 */
export class TelemetryAccess {
  constructor(private readonly deps: { tenantAuth: TenantAuth; grants: GrantAuth; fairness: FairnessRegistry }) {}

  /** A tenant user with `permission`, its query budget spent. */
  async user(authorization: string | undefined, permission: TenantPermission): Promise<TenantRecord> {
    const auth = await this.deps.tenantAuth.authorize(authorization, permission);
    this.spendQuery(auth.tenant);
    return auth.tenant;
  }

  /**
   * The caller of a read route (`route` as registered): a tenant user, or an operator's grant, which
   * may name its tenant (`namedTenant`, id or slug) so a script says what it means to read.
   */
  async reader(authorization: string | undefined, route: string, namedTenant: string | undefined): Promise<TelemetryCaller> {
    if (!GrantAuth.presented(authorization)) {
      return { tenant: await this.user(authorization, 'telemetry:read'), recorded: () => Promise.resolve() };
    }
    const access = await this.deps.grants.authorize(authorization, route, namedTenant);
    this.spendQuery(access.tenant);
    return { tenant: access.tenant, recorded: (query, rows) => this.deps.grants.recordRead(access, route, { ...query }, rows) };
  }

  private spendQuery(tenant: TenantRecord): void {
    const take = this.deps.fairness.takeQuery(tenant);
    if (!take.admitted) {
      throw rateLimited(take.retryAfterMs, "Over the tenant's query budget (queries per minute). Retry after Retry-After.");
    }
  }
}
