import type { FairnessLimits } from '../../contracts/fairness';
import type { IsolationModel, Quotas, TenantState } from '../../contracts/tenants';

/** Tenants as the provider sees them: the tenant rows, their data keys, and their lifecycle. */
export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  isolationModel: IsolationModel;
  residency: string | null;
  plan: string | null;
  contactEmail: string | null;
  state: TenantState;
  quotas: Quotas;
  /** Fairness limits the provider set; null means the defaults. */
  fairness: FairnessLimits | null;
  createdAt: string;
  updatedAt: string;
  /** When the customer took ownership (handover); null while the provider holds the onboarding credential. */
  handedOverAt: string | null;
}

/** What storage needs to find a tenant's own data. */
export type TenantRef = Pick<TenantRecord, 'id' | 'isolationModel'>;

/** The columns of a tenant that change after creation. */
export type TenantChange = Partial<Pick<TenantRecord, 'name' | 'plan' | 'contactEmail' | 'state' | 'quotas' | 'fairness' | 'updatedAt' | 'handedOverAt'>>;

export interface TenantListQuery {
  state?: TenantState | undefined;
  /** Exclusive: tenants created after this (created_at, id) position. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export interface TenantReader {
  byId(id: string): Promise<TenantRecord | null>;
  bySlug(slug: string): Promise<TenantRecord | null>;
  list(query: TenantListQuery): Promise<TenantRecord[]>;
  /** Tenants that count against the license band: every state but deleted. */
  countLive(): Promise<number>;
}

/** The tenants' part of a write transaction. */
export interface TenantWrites {
  /** Reads inside the transaction (consistent with its writes). */
  countLiveTenants(): Promise<number>;
  tenantBySlug(slug: string): Promise<TenantRecord | null>;
  /** The tenant row read inside the transaction and locked against concurrent changes until it ends. */
  tenantForUpdate(id: string): Promise<TenantRecord | null>;
  insertTenant(tenant: TenantRecord, wrappedDataKey: Buffer): Promise<void>;
  updateTenant(id: string, change: TenantChange): Promise<void>;
  /** Crypto-shred: the wrapped data key is overwritten and removed; nothing can open the tenant's sealed data again. */
  destroyTenantKey(tenantId: string): Promise<void>;
  /** Removes every row of the tenant from the stores it shares with others (on delete). */
  purgeTenantData(tenant: TenantRef): Promise<void>;
}
