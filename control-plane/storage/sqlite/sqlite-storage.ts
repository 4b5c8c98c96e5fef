import type Database from 'better-sqlite3';
import type { IsolationModel } from '../../../contracts/tenants';
import { ledgerReader, ledgerWrites } from '../ledger';
import { TenantScopeCache } from '../tenant-scope-cache';
import type { Storage, TenantRef, TenantScope, WriteTx } from '../types';
import { done, Mutex, openStore, type SqliteTx } from './connection';
import { sqliteBrandingReader, sqliteBrandingScope, sqliteBrandingWrites } from './sqlite-branding';
import { sqliteBreakGlassReader, sqliteBreakGlassScope, sqliteBreakGlassWrites } from './sqlite-break-glass';
import { sqliteDirectoryScope, sqliteDirectoryWrites } from './sqlite-directory';
import { buildMissingLedgerNodes, sqliteLedgerReader, sqliteLedgerWriter } from './sqlite-ledger';
import { sqliteLedgerSigningKeys } from './sqlite-ledger-signing-keys';
import { sqliteOperatorStores, sqliteOperatorWrites } from './sqlite-operators';
import { sqliteRecoveryReader, sqliteRecoveryScope, sqliteRecoveryWrites } from './sqlite-recovery';
import { sqliteReplicaRegistry } from './sqlite-replicas';
import { SqliteTelemetry } from './sqlite-telemetry';
import { sqliteTenantSetupScope, sqliteTenantSetupWrites } from './sqlite-tenant-setup';
import { DEFAULT_TELEMETRY_CELLS, SqliteTenantStores, type SqliteLayout } from './sqlite-tenant-stores';
import { sqliteTenantDataKey, sqliteTenantReader, sqliteTenantWrites } from './sqlite-tenants';
import { sqliteTokenScope, sqliteTokenTenant, sqliteTokenWrites } from './sqlite-tokens';
import { sqliteUsageReader, sqliteUsageWrites, type SqliteUsageStores } from './sqlite-usage';

import { upgradeTelemetryStores } from './store-upgrade';
export { DEFAULT_TELEMETRY_CELLS, sqliteLayout, telemetryCellFile, type SqliteLayout } from './sqlite-tenant-stores';

export interface SqliteStorageOptions {
  /** Cells new pooled tenants are spread over (1 to 64); tenants already placed keep their cell. */
  telemetryCells?: number;
}

/**
 * The embedded engine: SQLite files (WAL) in the data dir, per the isolation model of each tenant
 * (see SqliteTenantStores). This class composes the aggregates' stores (sqlite-<aggregate>.ts)
 * and runs the write transactions; the stores themselves write SQL.
 */
export class SqliteStorage implements Storage {
  readonly engine = 'sqlite' as const;
  readonly operators: Storage['operators'];
  readonly operatorSessions: Storage['operatorSessions'];
  readonly loginThrottle: Storage['loginThrottle'];
  readonly tenants: Storage['tenants'];
  readonly ledgers: Storage['ledgers'];
  readonly ledgerSigningKeys: Storage['ledgerSigningKeys'];
  readonly replicas: Storage['replicas'];
  readonly telemetry: Storage['telemetry'];
  readonly breakGlass: Storage['breakGlass'];
  readonly recoveries: Storage['recoveries'];
  readonly usage: Storage['usage'];
  private readonly usageStores: SqliteUsageStores;
  readonly branding: Storage['branding'];
  private readonly mutex = new Mutex();
  private readonly stores: SqliteTenantStores;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    layout: SqliteLayout,
    private readonly ledgerKey: Buffer,
    telemetryCells: number,
  ) {
    this.stores = new SqliteTenantStores(db, layout, telemetryCells, this.mutex);
    const operators = sqliteOperatorStores(db);
    this.operators = operators.operators;
    this.operatorSessions = operators.operatorSessions;
    this.loginThrottle = operators.loginThrottle;
    this.tenants = sqliteTenantReader(db);
    this.ledgers = ledgerReader(sqliteLedgerReader(db, this.mutex), ledgerKey);
    this.ledgerSigningKeys = sqliteLedgerSigningKeys(db, this.mutex);
    this.replicas = sqliteReplicaRegistry(db);
    this.breakGlass = sqliteBreakGlassReader(db);
    this.recoveries = sqliteRecoveryReader(db);
    this.branding = sqliteBrandingReader(db);
    const stores = this.stores;
    this.usageStores = { control: db, telemetryOf: (tenant) => stores.telemetryStore(tenant), controlOf: (tenant) => stores.control(tenant) };
    this.usage = sqliteUsageReader(this.usageStores);
    this.telemetry = new SqliteTelemetry(
      (tenant) => stores.telemetryStore(tenant),
      (tenant) => stores.telemetryWriter(tenant),
      (tenant) => stores.isPurged(tenant),
    );
  }

  /**
   * Opens (and migrates) the control store of a data dir, and migrates its telemetry stores (see
   * store-upgrade.ts). `ledgerKey` authenticates ledger entries.
   */
  static open(layout: SqliteLayout, ledgerKey: Buffer, options: SqliteStorageOptions = {}): SqliteStorage {
    const cells = options.telemetryCells ?? DEFAULT_TELEMETRY_CELLS;
    if (!Number.isInteger(cells) || cells < 1 || cells > 64) {
      throw new RangeError(`telemetry cells must be an integer from 1 to 64, not ${cells}`);
    }
    const control = openStore(layout.controlFile, 'control');
    try {
      // Ledgers written before interior nodes were stored get them now, once (proofs read them).
      buildMissingLedgerNodes(control);
      upgradeTelemetryStores(layout, control);
    } catch (error) {
      control.close();
      throw error;
    }
    return new SqliteStorage(control, layout, ledgerKey, cells);
  }

  ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    return done;
  }

  tenantDataKey(tenantId: string): Promise<Buffer | null> {
    return sqliteTenantDataKey(this.db, tenantId);
  }

  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      // Silo files the transaction writes join it: each gets its own transaction, committed just
      // before the control store's (which holds the ledger) and rolled back with it.
      const joined: Database.Database[] = [];
      try {
        const tx = this.writeTx(joined);
        const result = await fn(tx);
        // The ledgers' heads (one per touched ledger) are signed and stored last, inside the transaction.
        await tx.flushLedgers();
        for (const silo of joined) {
          silo.exec('COMMIT');
        }
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        for (const silo of joined) {
          if (silo.open && silo.inTransaction) {
            silo.exec('ROLLBACK');
          }
        }
        if (this.db.inTransaction) {
          this.db.exec('ROLLBACK');
        }
        throw error;
      } finally {
        for (let i = 0; i < joined.length; i++) this.stores.ownWriter.release();
      }
    });
  }

  private writeTx(joined: Database.Database[]): WriteTx & { flushLedgers(): Promise<void> } {
    const db = this.db;
    const stores = this.stores;
    const tx: SqliteTx = {
      control: db,
      /** The tenant's control store inside this transaction (a silo joins it on first use). */
      store(tenant) {
        const target = stores.control(tenant);
        if (target !== db && !joined.includes(target)) {
          // The silo's telemetry is written on the own-store writer thread: it makes way (see hold()).
          stores.ownWriter.hold();
          try {
            target.exec('BEGIN IMMEDIATE');
          } catch (error) {
            stores.ownWriter.release();
            throw error;
          }
          joined.push(target);
        }
        return target;
      },
    };
    return {
      ...sqliteOperatorWrites(db),
      ...sqliteTenantWrites(db),
      ...sqliteRecoveryWrites(db),
      ...sqliteDirectoryWrites(tx),
      ...sqliteTokenWrites(tx),
      ...sqliteTenantSetupWrites(tx),
      ...ledgerWrites(sqliteLedgerWriter(db), this.ledgerKey),
      ...sqliteBreakGlassWrites(db),
      ...sqliteUsageWrites(this.usageStores),
      ...sqliteBrandingWrites(db),
    };
  }

  createTenantStores(tenantId: string, model: IsolationModel): Promise<() => Promise<void>> {
    return this.stores.create(tenantId, model);
  }

  removeTenantStores(tenantId: string): Promise<void> {
    return this.stores.remove(tenantId);
  }

  sweepOrphanStores(): Promise<string[]> {
    return this.stores.sweepOrphans();
  }

  /** One scope per tenant and isolation model (see TenantScopeCache). */
  private readonly scopes = new TenantScopeCache<TenantScope>((tenant) => this.buildTenantScope(tenant));

  tenantScope(tenant: TenantRef): TenantScope {
    return this.scopes.scopeOf(tenant);
  }

  private buildTenantScope(tenant: TenantRef): TenantScope {
    const control = () => this.stores.control(tenant);
    return {
      tenantId: tenant.id,
      ...sqliteTenantSetupScope(tenant.id, control),
      ...sqliteTokenScope(tenant.id, control),
      ...sqliteDirectoryScope(tenant.id, control),
      // Recovery, break-glass and branding rows live in the shared control store for every model (see migrations.ts).
      ...sqliteRecoveryScope(this.db, tenant.id),
      ...sqliteBreakGlassScope(this.db, tenant.id),
      ...sqliteBrandingScope(this.db, tenant.id),
    };
  }

  tokenTenant(tokenHash: string): Promise<string | null> {
    return sqliteTokenTenant(this.db, tokenHash);
  }

  scrub(tenant?: TenantRef): Promise<void> {
    // secure_delete has overwritten freed pages in the main file; the WAL still holds old frames until a checkpoint.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    if (tenant !== undefined) {
      const own = this.stores.control(tenant);
      if (own !== this.db) own.pragma('wal_checkpoint(TRUNCATE)');
    }
    return done;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.stores.close();
    if (this.db.open) {
      this.db.close();
    }
  }
}
