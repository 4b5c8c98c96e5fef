import { bearerToken, hashToken } from '../auth/tokens';
import { ApiError } from '../errors';
import type { BreakGlassRecord, Storage, TenantRecord } from '../storage/types';
import { expireIfDue, ledgerBoth } from './break-glass-ledger';
import { scopeForRoute } from './grant-scopes';

/** A checked break-glass grant on one read. */
export interface GrantAccess {
  tenant: TenantRecord;
  request: BreakGlassRecord;
  /** `operator:<username>`: the operator who requested and activated the grant. */
  actor: string;
}

function invalid(): ApiError {
  return new ApiError(401, 'unauthorized', 'This break-glass grant is not valid.');
}

/** 401 for a grant that has ended: the code says how (expired or revoked). */
function ended(record: BreakGlassRecord): ApiError {
  if (record.state === 'expired') {
    return new ApiError(401, 'grant_expired', `This break-glass grant expired at ${record.grantExpiresAt ?? record.endedAt ?? 'its deadline'}.`, { request_id: record.id });
  }
  if (record.state === 'revoked') {
    return new ApiError(401, 'grant_revoked', 'This break-glass grant was revoked.', { request_id: record.id, reason: record.endReason });
  }
  return invalid();
}

/**
 * Break-glass grants (`bhg_`) on the tenant plane's scoped read routes: the token is routed to its
 * tenant by hash (like tenant tokens), the grant must be active and unexpired on the app's clock, for
 * the route's scope, and for the tenant the caller names (if it names one). Each read is then
 * ledgered in both ledgers in a transaction that re-checks the grant, so no answer leaves after a
 * revoke or expiry has committed.
 */
export class GrantAuth {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => Date,
  ) {}

  /** Whether the caller presents a grant (then only this class decides). */
  static presented(authorization: string | undefined): boolean {
    return /^Bearer\s+bhg_/i.test((authorization ?? '').trim());
  }

  /** `route` is the route as registered (no query); `namedTenant` the tenant the caller named (`?tenant=`), if any. */
  async authorize(authorization: string | undefined, route: string, namedTenant: string | undefined): Promise<GrantAccess> {
    const token = bearerToken(authorization, 'bhg_');
    if (token === null) throw invalid();
    const grantHash = hashToken(token);
    const tenantId = await this.storage.tokenTenant(grantHash);
    const tenant = tenantId === null ? null : await this.storage.tenants.byId(tenantId);
    if (tenant === null) throw invalid();
    const found = await this.storage.tenantScope(tenant).breakGlassByGrantHash(grantHash);
    if (found === null) throw invalid();
    const request = await this.current(found);
    if (request.state !== 'active') throw ended(request);
    if (tenant.state !== 'active') {
      // Suspension and deletion revoke grants in their own transaction; this is the belt to those braces.
      throw new ApiError(401, 'grant_revoked', `This break-glass grant ended: the tenant is ${tenant.state}.`, { request_id: request.id });
    }
    if (namedTenant !== undefined && namedTenant.toLowerCase() !== tenant.id && namedTenant !== tenant.slug) {
      throw new ApiError(403, 'grant_wrong_tenant', 'This break-glass grant is for another tenant; a grant reads only the tenant that approved it.', { request_id: request.id });
    }
    const scope = scopeForRoute('GET', route);
    if (scope === null || !request.scope.includes(scope)) {
      throw new ApiError(403, 'grant_scope_missing', `This break-glass grant does not cover ${route}.`, { request_id: request.id, scope: request.scope, required: scope });
    }
    return { tenant, request, actor: `operator:${request.operatorUsername}` };
  }

  /**
   * Writes BREAK_GLASS_READ (route, query, row count) to the tenant's ledger and the provider ledger.
   * The grant is re-read under lock first: if it was revoked or has expired since `authorize`, the
   * read is refused (401) and nothing is answered.
   */
  async recordRead(access: GrantAccess, route: string, query: Record<string, unknown>, rows: number): Promise<void> {
    const outcome = await this.storage.transaction(async (tx) => {
      const locked = await tx.breakGlassForUpdate(access.tenant.id, access.request.id);
      if (locked === null) return invalid();
      const now = this.clock();
      const record = await expireIfDue(tx, locked, now);
      if (record.state !== 'active') return ended(record);
      await ledgerBoth(tx, access.tenant.id, access.actor, 'BREAK_GLASS_READ', { request_id: record.id, route, query, rows }, now.toISOString());
      return null;
    });
    if (outcome !== null) throw outcome;
  }

  /** The record with time applied: an active grant past its expiry is marked expired (and ledgered) now. */
  private async current(record: BreakGlassRecord): Promise<BreakGlassRecord> {
    if (record.state !== 'active' || record.grantExpiresAt === null || Date.parse(record.grantExpiresAt) > this.clock().getTime()) return record;
    return this.storage.transaction(async (tx) => {
      const locked = await tx.breakGlassForUpdate(record.tenantId, record.id);
      return locked === null ? record : expireIfDue(tx, locked, this.clock());
    });
  }
}
