/**
 * A request to give a tenant that lost every credential a new onboarding token. It waits out a
 * period during which any tenant credential can cancel it; then the requesting operator completes it.
 * Lives in the shared control store for every isolation model, beside break-glass requests.
 */
export interface RecoveryRecord {
  id: string;
  tenantId: string;
  operatorId: string;
  operatorUsername: string;
  reason: string;
  state: 'waiting' | 'cancelled' | 'completed';
  createdAt: string;
  availableAt: string;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
}

/** The provider's view of recovery requests across tenants. */
export interface RecoveryReader {
  list(query: { tenantId?: string | undefined; limit: number }): Promise<RecoveryRecord[]>;
  byId(id: string): Promise<RecoveryRecord | null>;
}

/** The tenant's own view of its recovery requests. */
export interface RecoveryScope {
  /** The tenant's recovery requests, newest first. */
  recoveries(limit: number): Promise<RecoveryRecord[]>;
}

/** The recoveries' part of a write transaction. */
export interface RecoveryWrites {
  insertRecovery(request: RecoveryRecord): Promise<void>;
  /** The tenant's recovery request, locked until the transaction ends (null: no such request of this tenant). */
  recoveryForUpdate(tenantId: string, id: string): Promise<RecoveryRecord | null>;
  /** The tenant's waiting recovery requests, locked like recoveryForUpdate. */
  waitingRecoveriesForUpdate(tenantId: string): Promise<RecoveryRecord[]>;
  /** Writes the request's changing columns (state and end), by tenant and id. */
  updateRecovery(request: RecoveryRecord): Promise<void>;
}
