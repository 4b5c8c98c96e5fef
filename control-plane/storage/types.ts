import type { IsolationModel } from '../../contracts/tenants';
import type { BrandingReader, BrandingScope, BrandingWrites } from './branding';
import type { BreakGlassReader, BreakGlassScope, BreakGlassWrites } from './break-glass';
import type { DirectoryScope, DirectoryWrites } from './directory';
import type { LedgerReader, LedgerWrites } from './ledger';
import type { LedgerSigningKeyStore } from './ledger-signing-keys';
import type { LoginThrottleStore, OperatorSessionStore, OperatorStore, OperatorWrites } from './operators';
import type { RecoveryReader, RecoveryScope, RecoveryWrites } from './recovery';
import type { ReplicaRegistry } from './replica-registry';
import type { TelemetryStore } from './telemetry-store';
import type { TenantSetupScope, TenantSetupWrites } from './tenant-setup';
import type { TenantReader, TenantRef, TenantWrites } from './tenants';
import type { TokenScope, TokenWrites } from './tokens';
import type { UsageReader, UsageWrites } from './usage';

/**
 * The storage interface every engine implements (SQLite and PostgreSQL), composed of one file per
 * aggregate: operators, tenants, recovery, directory, tokens, tenant-setup, ledger, ledger-signing-keys, break-glass,
 * telemetry-store, replica-registry, usage and branding. Each holds its records and its reader, scope and write
 * interfaces; each engine mirrors them file for file (sqlite/sqlite-<aggregate>.ts,
 * postgres/postgres-<aggregate>.ts), and rows/ maps their rows once for both. Every other layer
 * imports storage types from here. Methods are async so a networked engine fits; no database
 * handle ever leaves control-plane/storage/.
 */
export * from './branding';
export type * from './break-glass';
export * from './directory';
export type * from './ledger';
export type * from './ledger-signing-keys';
export type * from './operators';
export type * from './recovery';
export type * from './replica-registry';
export type * from './telemetry-store';
export type * from './tenant-setup';
export type * from './tenants';
export type * from './tokens';
export * from './usage';

/** What a write transaction may change. Everything in one transaction commits or none of it does. */
export type WriteTx = OperatorWrites & TenantWrites & RecoveryWrites & DirectoryWrites & TokenWrites & TenantSetupWrites & LedgerWrites & BreakGlassWrites & UsageWrites & BrandingWrites;

/**
 * Tenant-owned data, reached only through this scope: every statement binds the tenant's id,
 * inside silos too. Later features add their tables here.
 */
export type TenantScope = { readonly tenantId: string } & TenantSetupScope & TokenScope & DirectoryScope & RecoveryScope & BreakGlassScope & BrandingScope;

export interface Storage {
  readonly engine: 'sqlite' | 'postgres';
  readonly telemetry: TelemetryStore;
  readonly replicas: ReplicaRegistry;
  readonly operators: OperatorStore;
  readonly operatorSessions: OperatorSessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly tenants: TenantReader;
  readonly ledgers: LedgerReader;
  /** Keys signing the ledgers' tree heads (see ledgers/ledger-signer.ts). */
  readonly ledgerSigningKeys: LedgerSigningKeyStore;
  readonly breakGlass: BreakGlassReader;
  readonly recoveries: RecoveryReader;
  /** Usage meters for billing, across tenants (see usage.ts). */
  readonly usage: UsageReader;
  readonly branding: BrandingReader;
  /** The wrapped data key of a tenant, or null once destroyed. */
  tenantDataKey(tenantId: string): Promise<Buffer | null>;
  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /**
   * Creates and migrates a siloed or hybrid tenant's own stores before the tenant row exists.
   * Returns a function that removes them again (used when the row cannot be committed).
   */
  createTenantStores(tenantId: string, model: IsolationModel): Promise<() => Promise<void>>;
  /** Deletes a tenant's own store files (after its key is destroyed). */
  removeTenantStores(tenantId: string): Promise<void>;
  /** Own-store files or schemas that exist without a tenant row (a crash between create and commit). */
  sweepOrphanStores(): Promise<string[]>;
  tenantScope(tenant: TenantRef): TenantScope;
  /** Which tenant a presented token belongs to (the token itself is checked in that tenant's scope). */
  tokenTenant(tokenHash: string): Promise<string | null>;
  /**
   * Flushes deleted or overwritten content out of journals and free space (after a crypto-shred,
   * or after sealing what was stored in clear): the shared store's, and a tenant's own if named.
   */
  scrub(tenant?: TenantRef): Promise<void>;
  /** Cheap round trip to the database, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
