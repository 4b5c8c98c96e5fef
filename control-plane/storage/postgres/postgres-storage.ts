import pg from 'pg';
import type { IsolationModel } from '../../../contracts/tenants';
import { ledgerReader, ledgerWrites } from '../ledger';
import { text } from '../rows/columns';
import { TenantScopeCache } from '../tenant-scope-cache';
import type { Storage, TenantRef, TenantScope, WriteTx } from '../types';
import { postgresBrandingReader, postgresBrandingScope, postgresBrandingWrites } from './postgres-branding';
import { postgresBreakGlassReader, postgresBreakGlassScope, postgresBreakGlassWrites } from './postgres-break-glass';
import { postgresDirectoryScope, postgresDirectoryWrites } from './postgres-directory';
import { postgresLedgerReader, postgresLedgerWriter } from './postgres-ledger';
import { postgresLedgerSigningKeys } from './postgres-ledger-signing-keys';
import { postgresOperatorStores, postgresOperatorWrites } from './postgres-operators';
import { postgresRecoveryReader, postgresRecoveryScope, postgresRecoveryWrites } from './postgres-recovery';
import { postgresReplicaRegistry } from './postgres-replicas';
import { PostgresTelemetry } from './postgres-telemetry';
import { appliedSchemaVersion } from './schema-version';
import { postgresTenantSetupScope, postgresTenantSetupWrites } from './postgres-tenant-setup';
import { PostgresTenantStores } from './postgres-tenant-stores';
import { postgresTenantDataKey, postgresTenantReader, postgresTenantWrites } from './postgres-tenants';
import { postgresTokenScope, postgresTokenTenant, postgresTokenWrites } from './postgres-tokens';
import { postgresUsageReader, postgresUsageWrites } from './postgres-usage';
import { controlSchema, inTransaction, readAs, type Row, type TenantRead } from './tenant-context';

export { tenantSchema } from './tenant-context';

/**
 * The PostgreSQL engine: shared tables in schema `bh`, siloed and hybrid tenants' own schemas,
 * row-level security enforced by the database on every tenant-owned table. The server's role owns
 * nothing and cannot bypass RLS; the tenant context is set per transaction. This class composes
 * the aggregates' stores (postgres-<aggregate>.ts) and runs the transactions.
 */
export class PostgresStorage implements Storage {
  readonly engine = 'postgres' as const;
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
  readonly branding: Storage['branding'];
  private readonly stores: PostgresTenantStores;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ledgerKey: Buffer,
    connectionString?: string,
  ) {
    const operators = postgresOperatorStores(pool);
    this.operators = operators.operators;
    this.operatorSessions = operators.operatorSessions;
    this.loginThrottle = operators.loginThrottle;
    this.tenants = postgresTenantReader(pool);
    this.ledgers = ledgerReader(postgresLedgerReader(pool, connectionString), ledgerKey);
    this.ledgerSigningKeys = postgresLedgerSigningKeys(pool);
    this.replicas = postgresReplicaRegistry(pool);
    this.breakGlass = postgresBreakGlassReader(pool);
    this.recoveries = postgresRecoveryReader(pool);
    this.branding = postgresBrandingReader(pool);
    this.telemetry = new PostgresTelemetry(pool);
    this.usage = postgresUsageReader(pool);
    this.stores = new PostgresTenantStores(pool);
  }

  /** Connects as the app role. `ledgerKey` authenticates ledger entries. */
  static async open(connectionString: string, ledgerKey: Buffer, options: { max?: number } = {}): Promise<PostgresStorage> {
    const pool = new pg.Pool({ connectionString, max: options.max ?? 10, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000 });
    // A broken idle connection must not crash the process; the next query gets a fresh one.
    pool.on('error', () => undefined);
    try {
      await pool.query<Row>('SELECT 1 FROM bh.deployment LIMIT 1');
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStorage(pool, ledgerKey, connectionString);
  }

  /**
   * Why the role this storage connected as would escape row-level security, or null when it would
   * not: a superuser or BYPASSRLS role skips every policy, and a role that owns (or may become the
   * owner of) a table can switch its policies off. The server connects as the app role, never these.
   */
  async roleEscapesRls(): Promise<string | null> {
    const row = (
      await this.pool.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: boolean; username: string }>(
        `SELECT r.rolsuper, r.rolbypassrls, current_user AS username,
           EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'bh' AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')) AS owns
         FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
      )
    ).rows[0];
    if (row === undefined) return 'its role is not in pg_roles';
    if (row.rolsuper) return `the role ${row.username} is a superuser`;
    if (row.rolbypassrls) return `the role ${row.username} has BYPASSRLS`;
    if (row.owns) return `the role ${row.username} owns the tables (or is a member of their owner)`;
    return null;
  }

  /** The schema version `migrate` applied (null: this role may not read it, an older schema) and the role connected as. */
  async schemaVersion(): Promise<{ applied: number | null; role: string }> {
    const role = (await this.pool.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role ?? '';
    return { applied: await appliedSchemaVersion(this.pool), role };
  }

  /** The deployment key id the database was initialized with, or null before init. */
  async deploymentKeyId(): Promise<string | null> {
    const row = (await this.pool.query<Row>('SELECT key_id FROM bh.deployment LIMIT 1')).rows[0];
    return row ? text.parse(row.key_id) : null;
  }

  async recordDeployment(keyId: string, at: string): Promise<void> {
    await this.pool.query<Row>('INSERT INTO bh.deployment (key_id, created_at) VALUES ($1, $2)', [keyId, at]);
  }

  async ping(): Promise<void> {
    await this.pool.query<Row>('SELECT 1');
  }

  tenantDataKey(tenantId: string): Promise<Buffer | null> {
    return postgresTenantDataKey(this.pool, tenantId);
  }

  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, 'read write', async (client) => {
      const tx = this.writeTx(client);
      const result = await fn(tx);
      // The ledgers' heads (one per touched ledger) are signed and stored last, inside the transaction.
      await tx.flushLedgers();
      return result;
    });
  }

  /** Every write enters the tenant context of the rows it touches before its statement (RLS binds the rest). */
  private writeTx(client: pg.PoolClient): WriteTx & { flushLedgers(): Promise<void> } {
    return {
      ...postgresOperatorWrites(client),
      ...postgresTenantWrites(client),
      ...postgresRecoveryWrites(client),
      ...postgresDirectoryWrites(client),
      ...postgresTokenWrites(client),
      ...postgresTenantSetupWrites(client),
      ...ledgerWrites(postgresLedgerWriter(client), this.ledgerKey),
      ...postgresBreakGlassWrites(client),
      ...postgresUsageWrites(client),
      ...postgresBrandingWrites(client),
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

  /** Every read runs in a read-only transaction in the tenant's context. */
  private buildTenantScope(tenant: TenantRef): TenantScope {
    const schema = controlSchema(tenant);
    const read: TenantRead = (fn) => readAs(this.pool, tenant.id, fn);
    return {
      tenantId: tenant.id,
      ...postgresTenantSetupScope(tenant.id, schema, read),
      ...postgresTokenScope(tenant.id, schema, read),
      ...postgresDirectoryScope(tenant.id, schema, read),
      // Recovery, break-glass and branding rows live in bh for every model.
      ...postgresRecoveryScope(tenant.id, read),
      ...postgresBreakGlassScope(tenant.id, read),
      ...postgresBrandingScope(tenant.id, read),
    };
  }

  tokenTenant(tokenHash: string): Promise<string | null> {
    return postgresTokenTenant(this.pool, tokenHash);
  }

  /** Deleted rows are gone from queries at once; VACUUM (by the owner, outside the app) reclaims their space. */
  scrub(_tenant?: TenantRef): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (!this.pool.ended) {
      await this.pool.end();
    }
  }
}
