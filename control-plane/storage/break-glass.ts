import type { BreakGlassState } from '../../contracts/break-glass';

/** One tenant admin's approval of a break-glass request. */
export interface BreakGlassApproval {
  /** Who approved, as a stable identity (`user:<id>` or `admin-token:<id>`): two approvals need two of these. */
  approver: string;
  /** The actor label, for people reading the request. */
  actor: string;
  at: string;
  /** The grant length this approver allowed (null: as requested). */
  durationMinutes: number | null;
  comment: string | null;
}

/**
 * A break-glass request and, once activated, its grant. It lives in the shared control store for
 * every isolation model: it is a record between the provider and the tenant (like the ledgers),
 * and operators list requests across tenants. Tenant-owned all the same: it carries `tenant_id`.
 */
export interface BreakGlassRecord {
  id: string;
  tenantId: string;
  operatorId: string;
  operatorUsername: string;
  reason: string;
  scope: string[];
  requestedMinutes: number;
  /** The grant's length: the requested one, shortened by approvers. */
  durationMinutes: number;
  /** The tenant's setting when the request was opened (a later change does not apply to it). */
  requiredApprovals: number;
  state: BreakGlassState;
  approvals: BreakGlassApproval[];
  createdAt: string;
  requestExpiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionNote: string | null;
  activatedAt: string | null;
  grantExpiresAt: string | null;
  /** SHA-256 of the grant token (the token itself is never stored). */
  grantHash: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
}

/** A tenant's break-glass policy. */
export interface BreakGlassSettings {
  requiredApprovals: number;
  updatedAt: string;
}

export interface BreakGlassListQuery {
  tenantId?: string | undefined;
  state?: BreakGlassState | undefined;
  /** Exclusive: requests opened after this (created_at, id) position. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/**
 * The provider's view of break-glass requests across tenants (operators list and follow them). On
 * PostgreSQL these reads run under a SELECT-only policy for the provider plane; writes stay tenant-scoped.
 */
export interface BreakGlassReader {
  list(query: BreakGlassListQuery): Promise<BreakGlassRecord[]>;
  byId(id: string): Promise<BreakGlassRecord | null>;
  /** Requests whose time is up at `now` (pending or approved past their request expiry, active past the grant's), at most `limit`. */
  due(now: string, limit: number): Promise<BreakGlassRecord[]>;
}

/** The break-glass reads of a tenant's scope. */
export interface BreakGlassScope {
  /** The tenant's break-glass requests in (created_at, id) order; `tenantId` of the query is ignored. */
  breakGlassRequests(query: Omit<BreakGlassListQuery, 'tenantId'>): Promise<BreakGlassRecord[]>;
  breakGlassRequest(id: string): Promise<BreakGlassRecord | null>;
  breakGlassByGrantHash(grantHash: string): Promise<BreakGlassRecord | null>;
  /** The tenant's break-glass policy, or null while it has never set one (the default applies). */
  breakGlassSettings(): Promise<BreakGlassSettings | null>;
}

/** Break-glass's part of a write transaction. */
export interface BreakGlassWrites {
  insertBreakGlass(request: BreakGlassRecord): Promise<void>;
  /** The tenant's request, locked against concurrent changes until the transaction ends (null: no such request of this tenant). */
  breakGlassForUpdate(tenantId: string, id: string): Promise<BreakGlassRecord | null>;
  /** The tenant's requests that are not over yet (pending, approved, active), locked like breakGlassForUpdate. */
  openBreakGlassForUpdate(tenantId: string): Promise<BreakGlassRecord[]>;
  /** Writes the request's changing columns (state, approvals, decision, grant, end), by tenant and id. */
  updateBreakGlass(request: BreakGlassRecord): Promise<void>;
  /** Routes a break-glass grant token (by hash) to its tenant, like a tenant token's routing entry. */
  indexGrantToken(tenantId: string, tokenHash: string): Promise<void>;
  putBreakGlassSettings(tenantId: string, settings: BreakGlassSettings): Promise<void>;
}
