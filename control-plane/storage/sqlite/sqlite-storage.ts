import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import type Database from 'better-sqlite3';
import { ProviderRole } from '../../../contracts/operators';
import { Quotas, type IsolationModel } from '../../../contracts/tenants';
import {
  DirectoryConflict,
  type DirectoryEmail,
  type DirectoryGroup,
  type DirectoryMembership,
  type DirectoryPage,
  type DirectoryUser,
  type TenantRef,
} from '../types';
import type {
  LedgerQuery,
  LoginThrottleRecord,
  LoginThrottleStore,
  NewOperator,
  OperatorRecord,
  OperatorSessionStore,
  OperatorStore,
  SessionRecord,
  Storage,
  TenantListQuery,
  TenantReader,
  TenantRecord,
  TenantScope,
  TenantTokenRecord,
  AgentPoolRecord,
  ProbeTestRecord,
  WriteTx,
} from '../types';
import { FairnessLimits } from '../../../contracts/fairness';
import { cachedStatement, openStore } from './connection';
import { SqliteLedgers } from './ledger';
import { SqliteTelemetry } from './sqlite-telemetry';
import { sqliteBreakGlass, type SqliteBreakGlass } from './sqlite-break-glass';
import { TelemetryWriterThread } from './telemetry-writer-thread';
import { sqliteRecoveryReader, sqliteRecoveryWrites } from './sqlite-recovery';

export interface SqliteLayout {
  /** The shared control store. */
  controlFile: string;
  /** The pooled telemetry store's cell 0 (the only one before cells). */
  telemetryFile: string;
  /** Siloed and hybrid tenants' own stores: `<dir>/<tenant id>/`. */
  tenantsDir: string;
}

export function sqliteLayout(dataDir: string): SqliteLayout {
  return { controlFile: join(dataDir, 'control-plane.db'), telemetryFile: join(dataDir, 'telemetry.db'), tenantsDir: join(dataDir, 'tenants') };
}

/** The file of a pooled telemetry cell: cell 0 is the original telemetry.db. */
export function telemetryCellFile(layout: SqliteLayout, cell: number): string {
  return cell === 0 ? layout.telemetryFile : layout.telemetryFile.replace(/(\.db)?$/, `-cell-${cell}.db`);
}

/**
 * Pooled tenants' telemetry is spread over this many cells by default: files of the same schema,
 * each with its own writer thread. One SQLite file commits one transaction at a time, fsync
 * included, so in one shared file a quiet tenant's commit waits for a busy neighbour's; in
 * different cells they commit side by side. A new pooled tenant goes to the cell with the fewest.
 */
export const DEFAULT_TELEMETRY_CELLS = 4;

export interface SqliteStorageOptions {
  /** Cells new pooled tenants are spread over (1 to 64); tenants already placed keep their cell. */
  telemetryCells?: number;
}

interface OperatorRow {
  id: string;
  username: string;
  password_hash: string;
  totp_secret_sealed: Buffer;
  roles: string;
  created_at: string;
  last_totp_step: number | null;
}

const RolesJson = ProviderRole.array();

function toOperator(row: OperatorRow): OperatorRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    roles: RolesJson.parse(JSON.parse(row.roles)),
    createdAt: row.created_at,
    lastTotpStep: row.last_totp_step,
  };
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  isolation_model: IsolationModel;
  residency: string | null;
  plan: string | null;
  contact_email: string | null;
  state: TenantRecord['state'];
  quotas: string;
  fairness: string | null;
  created_at: string;
  updated_at: string;
  handed_over_at: string | null;
}

function toTenant(row: TenantRow): TenantRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    isolationModel: row.isolation_model,
    residency: row.residency,
    plan: row.plan,
    contactEmail: row.contact_email,
    state: row.state,
    quotas: Quotas.parse(JSON.parse(row.quotas)),
    fairness: row.fairness === null ? null : FairnessLimits.parse(JSON.parse(row.fairness)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    handedOverAt: row.handed_over_at,
  };
}

interface UserRow {
  id: string;
  user_name: string;
  external_id: string | null;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  emails: string;
  active: number;
  created_at: string;
  updated_at: string;
  version: number;
}

function toUser(row: UserRow): DirectoryUser {
  return {
    id: row.id,
    userName: row.user_name,
    externalId: row.external_id,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    emails: JSON.parse(row.emails) as DirectoryEmail[],
    active: row.active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function userParams(tenantId: string, user: DirectoryUser): Record<string, unknown> {
  return { ...user, tenantId, emails: JSON.stringify(user.emails), active: user.active ? 1 : 0 };
}

interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

function toGroup(row: GroupRow): DirectoryGroup {
  return { id: row.id, displayName: row.display_name, externalId: row.external_id, createdAt: row.created_at, updatedAt: row.updated_at, version: row.version };
}

interface MembershipRow {
  group_id: string;
  group_display_name: string;
  user_id: string;
  user_name: string;
  user_display_name: string | null;
}

function toMembership(row: MembershipRow): DirectoryMembership {
  return { groupId: row.group_id, groupDisplayName: row.group_display_name, userId: row.user_id, userName: row.user_name, userDisplayName: row.user_display_name };
}

/** LIMIT/OFFSET of a directory page (-1: no limit). */
function pageParams(page: DirectoryPage | undefined): { limit: number; offset: number } {
  return page === undefined ? { limit: -1, offset: 0 } : { limit: page.limit, offset: page.offset };
}

/** Serializes transactions on the one control connection (an async callback must not interleave with another). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const ok = Promise.resolve();

/** The embedded engine: SQLite files (WAL) in the data dir, per the isolation model of each tenant. */
export class SqliteStorage implements Storage {
  readonly engine = 'sqlite' as const;
  readonly operators: OperatorStore;
  readonly operatorSessions: OperatorSessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly tenants: TenantReader;
  readonly ledgers: Storage['ledgers'];
  readonly replicas: Storage['replicas'];
  readonly telemetry: Storage['telemetry'];
  readonly breakGlass: Storage['breakGlass'];
  readonly recoveries: ReturnType<typeof sqliteRecoveryReader>;
  private readonly breakGlassRows: SqliteBreakGlass;
  private readonly ledger: SqliteLedgers;
  private readonly mutex = new Mutex();
  private readonly ownStores = new Map<string, Database.Database>();
  /** The pooled telemetry cells opened so far: their store and writer thread. */
  private readonly cells = new Map<number, { db: Database.Database; writer: TelemetryWriterThread }>();
  /** Pooled tenants' cells, as placed (a tenant never moves). */
  private readonly cellOfTenant = new Map<string, number>();
  /** Deleted pooled tenants whose telemetry is being removed (or was): their late batches are dropped. */
  private readonly purged = new Set<string>();
  /** The writer of every tenant's own telemetry store (hybrid and siloed). */
  private readonly ownWriter = new TelemetryWriterThread();
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly layout: SqliteLayout,
    ledgerKey: Buffer,
    private readonly telemetryCells: number,
  ) {
    this.ledger = new SqliteLedgers(db, ledgerKey);
    this.operators = operatorStore(db);
    this.operatorSessions = sessionStore(db);
    this.loginThrottle = throttleStore(db);
    this.tenants = tenantReader(db);
    this.replicas = replicaRegistry(db);
    const breakGlass = sqliteBreakGlass(db);
    this.breakGlassRows = breakGlass;
    this.breakGlass = {
      list: (query) => Promise.resolve(breakGlass.list(query)),
      byId: (id) => Promise.resolve(breakGlass.byId(id)),
      due: (now, limit) => Promise.resolve(breakGlass.due(now, limit)),
    };
    this.recoveries = sqliteRecoveryReader(db);
    this.telemetry = new SqliteTelemetry(
      (tenant) => this.telemetryStore(tenant),
      (tenant) => this.telemetryWriter(tenant),
      (tenant) => this.purged.has(tenant.id),
    );
    const ledger = this.ledger;
    this.ledgers = {
      entries: (ledgerId: string, query: LedgerQuery) => Promise.resolve(ledger.entries(ledgerId, query)),
      entry: (ledgerId: string, seq: number) => Promise.resolve(ledger.entry(ledgerId, seq)),
      head: (ledgerId: string) => Promise.resolve(ledger.head(ledgerId)),
      verify: (ledgerId: string) => ledger.verify(ledgerId),
      leafHashes: (ledgerId: string, size: number) => Promise.resolve(ledger.leafHashes(ledgerId, size)),
    };
  }

  /** Opens (and migrates) the control store of a data dir. `ledgerKey` authenticates ledger entries. */
  static open(layout: SqliteLayout, ledgerKey: Buffer, options: SqliteStorageOptions = {}): SqliteStorage {
    const cells = options.telemetryCells ?? DEFAULT_TELEMETRY_CELLS;
    if (!Number.isInteger(cells) || cells < 1 || cells > 64) {
      throw new RangeError(`telemetry cells must be an integer from 1 to 64, not ${cells}`);
    }
    return new SqliteStorage(openStore(layout.controlFile, 'control'), layout, ledgerKey, cells);
  }

  ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    return ok;
  }

  tenantDataKey(tenantId: string): Promise<Buffer | null> {
    const row = cachedStatement(this.db, 'SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ?').get(tenantId) as { wrapped_key: Buffer } | undefined;
    return Promise.resolve(row?.wrapped_key ?? null);
  }

  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      // Silo files the transaction writes join it: each gets its own transaction, committed just
      // before the control store's (which holds the ledger) and rolled back with it.
      const joined: Database.Database[] = [];
      try {
        const result = await fn(this.writeTx(joined));
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
        for (let i = 0; i < joined.length; i++) this.ownWriter.release();
      }
    });
  }

  private writeTx(joined: Database.Database[]): WriteTx {
    const db = this.db;
    /** The tenant's control store inside this transaction (a silo joins it on first use). */
    const store = (tenant: TenantRef): Database.Database => {
      const target = this.tenantControl(tenant);
      if (target !== db && !joined.includes(target)) {
        // The silo's telemetry is written on the own-store writer thread: it makes way (see hold()).
        this.ownWriter.hold();
        try {
          target.exec('BEGIN IMMEDIATE');
        } catch (error) {
          this.ownWriter.release();
          throw error;
        }
        joined.push(target);
      }
      return target;
    };
    const uniqueOr = <T>(constraint: DirectoryConflict['constraint'], write: () => T): T => {
      try {
        return write();
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new DirectoryConflict(constraint);
        }
        throw error;
      }
    };
    const ledger = this.ledger;
    const sessions = this.operatorSessions;
    const throttle = this.loginThrottle;
    const operators = this.operators;
    const tenants = this.tenants;
    const breakGlass = this.breakGlassRows;
    return {
      ...sqliteRecoveryWrites(db),
      countLiveTenants: () => tenants.countLive(),
      // BEGIN IMMEDIATE holds the write lock for the whole transaction: a read is already "for update".
      tenantForUpdate: (id) => tenants.byId(id),
      tenantBySlug: (slug) => tenants.bySlug(slug),
      createOperatorSession: (session) => sessions.create(session),
      claimTotpStep: (operatorId, step) => operators.claimTotpStep(operatorId, step),
      recordLoginFailure: (key, at) => throttle.recordFailure(key, at),
      lockLogin: (key, until) => throttle.lock(key, until),
      resetLogin: (key) => throttle.reset(key),
      insertTenant(tenant, wrappedDataKey) {
        db.prepare(
          `INSERT INTO tenants (id, slug, name, isolation_model, residency, plan, contact_email, state, quotas, fairness, created_at, updated_at, handed_over_at)
           VALUES (@id, @slug, @name, @isolationModel, @residency, @plan, @contactEmail, @state, @quotas, @fairness, @createdAt, @updatedAt, @handedOverAt)`,
        ).run({ ...tenant, quotas: JSON.stringify(tenant.quotas), fairness: tenant.fairness === null ? null : JSON.stringify(tenant.fairness) });
        db.prepare('INSERT INTO tenant_keys (tenant_id, wrapped_key) VALUES (?, ?)').run(tenant.id, wrappedDataKey);
        return ok;
      },
      updateTenant(id, change) {
        const columns = Object.entries({
          name: change.name,
          plan: change.plan,
          contact_email: change.contactEmail,
          state: change.state,
          quotas: change.quotas === undefined ? undefined : JSON.stringify(change.quotas),
          fairness: change.fairness === undefined ? undefined : change.fairness === null ? null : JSON.stringify(change.fairness),
          updated_at: change.updatedAt,
          handed_over_at: change.handedOverAt,
        }).filter(([, value]) => value !== undefined);
        if (columns.length > 0) {
          db.prepare(`UPDATE tenants SET ${columns.map(([key]) => `${key} = @${key}`).join(', ')} WHERE id = @id`).run({ id, ...Object.fromEntries(columns) });
        }
        return ok;
      },
      destroyTenantKey(tenantId) {
        // secure_delete overwrites the freed bytes; the zeroed update first also overwrites the row in place.
        db.prepare('UPDATE tenant_keys SET wrapped_key = zeroblob(length(wrapped_key)) WHERE tenant_id = ?').run(tenantId);
        db.prepare('DELETE FROM tenant_keys WHERE tenant_id = ?').run(tenantId);
        return ok;
      },
      appendLedger(ledgerId, entry, ts) {
        return Promise.resolve(ledger.append(ledgerId, entry, ts));
      },
      createOperator(operator: NewOperator) {
        db.prepare('INSERT INTO operators (id, username, password_hash, totp_secret_sealed, roles, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          operator.id,
          operator.username,
          operator.passwordHash,
          operator.totpSecretSealed,
          JSON.stringify(operator.roles),
          operator.createdAt,
        );
        return ok;
      },
      deleteOperator(id) {
        return Promise.resolve(db.prepare('DELETE FROM operators WHERE id = ?').run(id).changes === 1);
      },
      revokeOperatorSessions(operatorId, at) {
        db.prepare('UPDATE operator_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE operator_id = ?').run(at, operatorId);
        return ok;
      },
      createTenantToken: (tenant, token) => {
        store(tenant)
          .prepare('INSERT INTO tenant_tokens (tenant_id, id, kind, token_hash, name, created_at, expires_at, subject_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(tenant.id, token.id, token.kind, token.tokenHash, token.name, token.createdAt, token.expiresAt, token.subjectId);
        db.prepare('INSERT INTO token_index (token_hash, tenant_id, kind) VALUES (?, ?, ?)').run(token.tokenHash, tenant.id, token.kind);
        return ok;
      },
      countProbeTests: (tenant) => Promise.resolve(store(tenant).prepare('SELECT COUNT(*) FROM probe_tests WHERE tenant_id = ?').pluck().get(tenant.id) as number),
      createProbeTest: (tenant, test) => {
        store(tenant)
          .prepare('INSERT INTO probe_tests (tenant_id, id, name, target, kind, interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(tenant.id, test.id, test.name, test.target, test.kind, test.intervalS, test.createdAt);
        return ok;
      },
      deleteProbeTest: (tenant, testId) => Promise.resolve(store(tenant).prepare('DELETE FROM probe_tests WHERE tenant_id = ? AND id = ?').run(tenant.id, testId).changes === 1),
      putIdentity: (tenant, identity) => {
        store(tenant)
          .prepare(
            `INSERT INTO tenant_identity (tenant_id, issuer, client_id, client_secret_sealed, claim, groups_claim, ca_pem, updated_at, tenant_owned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret_sealed = excluded.client_secret_sealed,
               claim = excluded.claim, groups_claim = excluded.groups_claim, ca_pem = excluded.ca_pem, updated_at = excluded.updated_at, tenant_owned_at = excluded.tenant_owned_at`,
          )
          .run(tenant.id, identity.issuer, identity.clientId, identity.clientSecretSealed, identity.claim, identity.groupsClaim, identity.caPem, identity.updatedAt, identity.tenantOwnedAt);
        return ok;
      },
      setIdentityOwnership: (tenant, tenantOwnedAt) =>
        Promise.resolve(store(tenant).prepare('UPDATE tenant_identity SET tenant_owned_at = ? WHERE tenant_id = ?').run(tenantOwnedAt, tenant.id).changes === 1),
      linkIdentity: (tenant, link) => {
        store(tenant)
          .prepare('INSERT INTO tenant_identity_links (tenant_id, issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(tenant.id, link.issuer, link.subject, link.userId, link.createdAt);
        return ok;
      },
      createAgentPool: (tenant, pool) => {
        store(tenant)
          .prepare('INSERT INTO agent_pools (tenant_id, id, name, ttl_seconds, default_group, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(tenant.id, pool.id, pool.name, pool.ttlSeconds, pool.defaultGroup, pool.createdAt);
        return ok;
      },
      countAgents: (tenant) => Promise.resolve(store(tenant).prepare('SELECT COUNT(*) FROM agents WHERE tenant_id = ?').pluck().get(tenant.id) as number),
      createAgent: (tenant, agent) => {
        store(tenant)
          .prepare('INSERT INTO agents (tenant_id, id, name, pool_id, group_name, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(tenant.id, agent.id, agent.name, agent.poolId, agent.groupName, agent.createdAt);
        return ok;
      },
      revokeTenantToken: (tenant, tokenId, kind, at) =>
        Promise.resolve(
          store(tenant).prepare('UPDATE tenant_tokens SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND kind = ? AND revoked_at IS NULL').run(at, tenant.id, tokenId, kind).changes === 1,
        ),
      revokeTenantTokens: (tenant, kinds, at) => {
        const revoke = store(tenant).prepare('UPDATE tenant_tokens SET revoked_at = ? WHERE tenant_id = ? AND kind = ? AND revoked_at IS NULL');
        return Promise.resolve(Object.fromEntries(kinds.map((kind) => [kind, revoke.run(at, tenant.id, kind).changes])));
      },
      putTenantRoles: (tenant, roles, at) => {
        const target = store(tenant);
        target.prepare('DELETE FROM tenant_roles WHERE tenant_id = ?').run(tenant.id);
        const insert = target.prepare('INSERT INTO tenant_roles (tenant_id, name, permissions, updated_at) VALUES (?, ?, ?, ?)');
        for (const role of roles) {
          insert.run(tenant.id, role.name, JSON.stringify(role.permissions), at);
        }
        return ok;
      },
      putRoleMappings: (tenant, mappings) => {
        const target = store(tenant);
        target.prepare('DELETE FROM role_mappings WHERE tenant_id = ?').run(tenant.id);
        const insert = target.prepare('INSERT INTO role_mappings (tenant_id, group_name, role) VALUES (?, ?, ?)');
        for (const mapping of mappings) {
          insert.run(tenant.id, mapping.group, mapping.role);
        }
        return ok;
      },
      countTenantUsers: (tenant) => Promise.resolve(store(tenant).prepare('SELECT COUNT(*) FROM tenant_users WHERE tenant_id = ?').pluck().get(tenant.id) as number),
      tenantUserForUpdate: (tenant, userId) => {
        const row = store(tenant).prepare('SELECT * FROM tenant_users WHERE tenant_id = ? AND id = ?').get(tenant.id, userId) as UserRow | undefined;
        return Promise.resolve(row ? toUser(row) : null);
      },
      insertTenantUser: (tenant, user) => {
        uniqueOr('user_name', () =>
          store(tenant)
            .prepare(
              `INSERT INTO tenant_users (tenant_id, id, user_name, external_id, display_name, given_name, family_name, emails, active, created_at, updated_at, version)
               VALUES (@tenantId, @id, @userName, @externalId, @displayName, @givenName, @familyName, @emails, @active, @createdAt, @updatedAt, @version)`,
            )
            .run(userParams(tenant.id, user)),
        );
        return ok;
      },
      updateTenantUser: (tenant, user) =>
        Promise.resolve(
          uniqueOr(
            'user_name',
            () =>
              store(tenant)
                .prepare(
                  `UPDATE tenant_users SET user_name = @userName, external_id = @externalId, display_name = @displayName, given_name = @givenName, family_name = @familyName,
                   emails = @emails, active = @active, updated_at = @updatedAt, version = @version WHERE tenant_id = @tenantId AND id = @id`,
                )
                .run(userParams(tenant.id, user)).changes === 1,
          ),
        ),
      deleteTenantUser: (tenant, userId) => {
        const target = store(tenant);
        const deleted = target.prepare('DELETE FROM tenant_users WHERE tenant_id = ? AND id = ?').run(tenant.id, userId).changes === 1;
        target.prepare('DELETE FROM group_members WHERE tenant_id = ? AND user_id = ?').run(tenant.id, userId);
        target.prepare('DELETE FROM tenant_identity_links WHERE tenant_id = ? AND user_id = ?').run(tenant.id, userId);
        return Promise.resolve(deleted);
      },
      lockTenantUsers: (tenant, userIds) =>
        // The whole transaction holds the write lock already: nothing else can delete them meanwhile.
        Promise.resolve(store(tenant).prepare('SELECT id FROM tenant_users WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))').pluck().all(tenant.id, JSON.stringify(userIds)) as string[]),
      tenantGroupForUpdate: (tenant, groupId) => {
        const row = store(tenant).prepare('SELECT * FROM tenant_groups WHERE tenant_id = ? AND id = ?').get(tenant.id, groupId) as GroupRow | undefined;
        return Promise.resolve(row ? toGroup(row) : null);
      },
      insertTenantGroup: (tenant, group) => {
        uniqueOr('group_display_name', () =>
          store(tenant)
            .prepare(
              `INSERT INTO tenant_groups (tenant_id, id, display_name, external_id, created_at, updated_at, version)
               VALUES (@tenantId, @id, @displayName, @externalId, @createdAt, @updatedAt, @version)`,
            )
            .run({ tenantId: tenant.id, ...group }),
        );
        return ok;
      },
      updateTenantGroup: (tenant, group) =>
        Promise.resolve(
          uniqueOr(
            'group_display_name',
            () =>
              store(tenant)
                .prepare('UPDATE tenant_groups SET display_name = @displayName, external_id = @externalId, updated_at = @updatedAt, version = @version WHERE tenant_id = @tenantId AND id = @id')
                .run({ tenantId: tenant.id, id: group.id, displayName: group.displayName, externalId: group.externalId, updatedAt: group.updatedAt, version: group.version }).changes === 1,
          ),
        ),
      deleteTenantGroup: (tenant, groupId) => {
        const target = store(tenant);
        const deleted = target.prepare('DELETE FROM tenant_groups WHERE tenant_id = ? AND id = ?').run(tenant.id, groupId).changes === 1;
        target.prepare('DELETE FROM group_members WHERE tenant_id = ? AND group_id = ?').run(tenant.id, groupId);
        return Promise.resolve(deleted);
      },
      groupMemberIds: (tenant, groupId) =>
        Promise.resolve(store(tenant).prepare('SELECT user_id FROM group_members WHERE tenant_id = ? AND group_id = ? ORDER BY user_id').pluck().all(tenant.id, groupId) as string[]),
      addGroupMembers: (tenant, groupId, userIds) => {
        const insert = store(tenant).prepare('INSERT INTO group_members (tenant_id, group_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
        for (const userId of userIds) {
          insert.run(tenant.id, groupId, userId);
        }
        return ok;
      },
      removeGroupMembers: (tenant, groupId, userIds) => {
        const remove = store(tenant).prepare('DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?');
        for (const userId of userIds) {
          remove.run(tenant.id, groupId, userId);
        }
        return ok;
      },
      purgeTenantData(tenant) {
        for (const table of ['agents', 'tenant_users', 'tenant_groups', 'group_members', 'probe_tests', 'tenant_tokens', 'token_index', 'tenant_roles', 'role_mappings', 'agent_pools', 'tenant_identity', 'tenant_identity_links']) {
          db.prepare(`DELETE FROM ${table} WHERE tenant_id = ?`).run(tenant.id);
        }
        if (tenant.isolationModel === 'pooled') {
          // The pooled telemetry goes after the commit, in chunks on its cell's writer thread (see
          // removeTenantStores): deleting a large tenant here would hold this thread and the
          // control store for seconds. Its placement stays until then, so a crash before the end
          // leaves a record of what is left to remove (tenants from before cells get one: cell 0).
          db.prepare('INSERT INTO telemetry_cells (tenant_id, cell) VALUES (?, 0) ON CONFLICT (tenant_id) DO NOTHING').run(tenant.id);
        }
        return ok;
      },
      insertBreakGlass: (request) => {
        breakGlass.insert(request);
        return ok;
      },
      // BEGIN IMMEDIATE holds the store's write lock for the whole transaction: reads are already "for update".
      breakGlassForUpdate: (tenantId, id) => Promise.resolve(breakGlass.get(tenantId, id)),
      openBreakGlassForUpdate: (tenantId) => Promise.resolve(breakGlass.open(tenantId)),
      updateBreakGlass: (request) => {
        breakGlass.update(request);
        return ok;
      },
      indexGrantToken: (tenantId, tokenHash) => {
        breakGlass.indexGrant(tenantId, tokenHash);
        return ok;
      },
      putBreakGlassSettings: (tenantId, settings) => {
        breakGlass.putSettings(tenantId, settings.requiredApprovals, settings.updatedAt);
        return ok;
      },
    };
  }

  private tenantDir(tenantId: string): string {
    return join(this.layout.tenantsDir, tenantId);
  }

  async createTenantStores(tenantId: string, model: IsolationModel): Promise<() => Promise<void>> {
    if (model === 'pooled') {
      this.placeInCell(tenantId);
      return () => {
        this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id = ?').run(tenantId);
        this.cellOfTenant.delete(tenantId);
        return ok;
      };
    }
    const dir = this.tenantDir(tenantId);
    const staging = `${dir}.creating`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    try {
      const file = model === 'siloed' ? 'tenant.db' : 'telemetry.db';
      openStore(join(staging, file), model === 'siloed' ? 'silo' : 'telemetry').close();
      // Migrated completely, then moved into place in one rename: no half-made silo is ever visible.
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    await ok;
    return () => this.removeTenantStores(tenantId);
  }

  async removeTenantStores(tenantId: string): Promise<void> {
    // The writer thread's connections first: an unlinked file stays on disk while any is open.
    await this.ownWriter.forget(this.tenantDir(tenantId) + sep);
    for (const key of [tenantId, `telemetry:${tenantId}`]) {
      this.ownStores.get(key)?.close();
      this.ownStores.delete(key);
    }
    rmSync(this.tenantDir(tenantId), { recursive: true, force: true });
    await this.purgePooledTelemetry(tenantId);
  }

  /**
   * Removes a deleted pooled tenant's telemetry from its cell, a chunk per transaction on the
   * cell's writer thread, so other tenants' writes to the cell go on between chunks. Its batches
   * still on their way to the writer are dropped (they would be removed with the rest). Then its
   * placement goes: until that commits, a restart resumes the removal (sweepOrphanStores).
   */
  private async purgePooledTelemetry(tenantId: string): Promise<number> {
    const cell = this.db
      .prepare("SELECT c.cell FROM telemetry_cells c JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = ? AND t.state = 'deleted'")
      .pluck()
      .get(tenantId) as number | undefined;
    if (cell === undefined) return 0;
    this.purged.add(tenantId);
    const { db, writer } = this.cell(cell);
    const removed = await writer.purge(db.name, tenantId);
    await this.mutex.run(() => Promise.resolve(this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id = ?').run(tenantId)));
    this.cellOfTenant.delete(tenantId);
    return removed;
  }

  async sweepOrphanStores(): Promise<string[]> {
    // A crash between placing a pooled tenant and committing its row: the placement counts for nothing.
    this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id NOT IN (SELECT id FROM tenants)').run();
    const removed: string[] = [];
    // A crash while a deleted pooled tenant's telemetry was being removed: finish it. (Tenants
    // deleted before removal moved here kept their placement with no rows left: it just goes.)
    const deleted = this.db.prepare("SELECT c.tenant_id FROM telemetry_cells c JOIN tenants t ON t.id = c.tenant_id WHERE t.state = 'deleted'").pluck().all() as string[];
    for (const tenantId of deleted) {
      if ((await this.purgePooledTelemetry(tenantId)) > 0) removed.push(`telemetry of ${tenantId}`);
    }
    if (!existsSync(this.layout.tenantsDir)) {
      return removed;
    }
    const known = this.db.prepare("SELECT 1 FROM tenants WHERE id = ? AND state != 'deleted'").pluck();
    for (const entry of readdirSync(this.layout.tenantsDir)) {
      const id = entry.replace(/\.creating$/, '');
      if (entry.endsWith('.creating') || known.get(id) === undefined) {
        rmSync(join(this.layout.tenantsDir, entry), { recursive: true, force: true });
        removed.push(entry);
      }
    }
    return removed;
  }

  /** The tenant's own control store (siloed), opened on first use. */
  private ownStore(tenantId: string): Database.Database {
    let db = this.ownStores.get(tenantId);
    if (db === undefined) {
      const file = join(this.tenantDir(tenantId), 'tenant.db');
      if (!existsSync(file)) {
        throw new Error(`the silo of tenant ${tenantId} is missing`);
      }
      db = openStore(file, 'silo');
      this.ownStores.set(tenantId, db);
    }
    return db;
  }

  /**
   * Places a new pooled tenant in the cell with the fewest pooled tenants (the lowest such cell on
   * a tie). Counted: placed tenants that are live or still being created (placed before their row
   * is committed, so two creations at once are spread too), and tenants from before cells, which
   * have no placement and live in cell 0. Deleted tenants do not count.
   */
  private placeInCell(tenantId: string): number {
    const counts = new Array<number>(this.telemetryCells).fill(0);
    const placed = this.db
      .prepare(
        `SELECT c.cell AS cell, COUNT(*) AS tenants FROM telemetry_cells c LEFT JOIN tenants t ON t.id = c.tenant_id
         WHERE t.id IS NULL OR t.state != 'deleted' GROUP BY c.cell`,
      )
      .all() as { cell: number; tenants: number }[];
    for (const { cell, tenants } of placed) {
      if (cell < counts.length) counts[cell] = tenants;
    }
    const unplaced = this.db
      .prepare("SELECT COUNT(*) FROM tenants t WHERE t.isolation_model = 'pooled' AND t.state != 'deleted' AND NOT EXISTS (SELECT 1 FROM telemetry_cells c WHERE c.tenant_id = t.id)")
      .pluck()
      .get() as number;
    counts[0] = (counts[0] ?? 0) + unplaced;
    const cell = counts.indexOf(Math.min(...counts));
    this.db.prepare('INSERT INTO telemetry_cells (tenant_id, cell) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET cell = excluded.cell').run(tenantId, cell);
    this.cellOfTenant.set(tenantId, cell);
    return cell;
  }

  /** The cell holding a pooled tenant's telemetry. */
  private cellOf(tenantId: string): number {
    let cell = this.cellOfTenant.get(tenantId);
    if (cell === undefined) {
      cell = (this.db.prepare('SELECT cell FROM telemetry_cells WHERE tenant_id = ?').pluck().get(tenantId) as number | undefined) ?? 0;
      this.cellOfTenant.set(tenantId, cell);
    }
    return cell;
  }

  /** A pooled telemetry cell, opened (and migrated) on first use, with its own writer thread. */
  private cell(cell: number): { db: Database.Database; writer: TelemetryWriterThread } {
    let open = this.cells.get(cell);
    if (open === undefined) {
      open = { db: openStore(telemetryCellFile(this.layout, cell), 'telemetry'), writer: new TelemetryWriterThread() };
      this.cells.set(cell, open);
    }
    return open;
  }

  /** The writer thread of a tenant's telemetry and its write lane: its cell's, or the one of all own stores. */
  private telemetryWriter(tenant: TenantRef): { lane: string; writer: TelemetryWriterThread } {
    if (tenant.isolationModel !== 'pooled') {
      return { lane: `own:${tenant.id}`, writer: this.ownWriter };
    }
    const cell = this.cellOf(tenant.id);
    return { lane: `cell:${cell}`, writer: this.cell(cell).writer };
  }

  /** The store holding a tenant's telemetry: its pooled telemetry cell, a hybrid tenant's own file, or its silo. */
  private telemetryStore(tenant: TenantRef): Database.Database {
    if (tenant.isolationModel === 'siloed') {
      return this.ownStore(tenant.id);
    }
    if (tenant.isolationModel === 'hybrid') {
      const key = `telemetry:${tenant.id}`;
      let db = this.ownStores.get(key);
      if (db === undefined) {
        const file = join(this.tenantDir(tenant.id), 'telemetry.db');
        if (!existsSync(file)) {
          throw new Error(`the telemetry store of tenant ${tenant.id} is missing`);
        }
        db = openStore(file, 'telemetry');
        this.ownStores.set(key, db);
      }
      return db;
    }
    return this.cell(this.cellOf(tenant.id)).db;
  }

  /** The store holding a tenant's control data: its silo, or the shared control store. */
  private tenantControl(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): Database.Database {
    return tenant.isolationModel === 'siloed' ? this.ownStore(tenant.id) : this.db;
  }

  tenantScope(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): TenantScope {
    const control = () => this.tenantControl(tenant);
    // Break-glass rows live in the shared control store for every model (see migrations.ts).
    const breakGlass = this.breakGlassRows;
    const recoveries = this.recoveries;
    return {
      tenantId: tenant.id,
      breakGlassRequests: (query) => Promise.resolve(breakGlass.list({ ...query, tenantId: tenant.id })),
      breakGlassRequest: (id) => Promise.resolve(breakGlass.get(tenant.id, id)),
      breakGlassByGrantHash: (grantHash) => Promise.resolve(breakGlass.byGrantHash(tenant.id, grantHash)),
      breakGlassSettings: () => Promise.resolve(breakGlass.settings(tenant.id)),
      counts() {
        const db = control();
        const count = (table: string) => (db.prepare(`SELECT COUNT(*) FROM ${table} WHERE tenant_id = ?`).pluck().get(tenant.id) as number);
        return Promise.resolve({ agents: count('agents'), users: count('tenant_users'), tests: count('probe_tests') });
      },
      tokens(kind) {
        const rows = control()
          .prepare('SELECT id, kind, name, created_at, expires_at, revoked_at, subject_id FROM tenant_tokens WHERE tenant_id = ? AND kind = ? ORDER BY created_at, id')
          .all(tenant.id, kind) as TokenRow[];
        return Promise.resolve(rows.map(toTokenRecord));
      },
      identity() {
        const row = control().prepare('SELECT * FROM tenant_identity WHERE tenant_id = ?').get(tenant.id) as
          | { issuer: string; client_id: string; client_secret_sealed: Buffer; claim: string | null; groups_claim: string; ca_pem: string | null; updated_at: string; tenant_owned_at: string | null }
          | undefined;
        return Promise.resolve(
          row
            ? {
                issuer: row.issuer,
                clientId: row.client_id,
                clientSecretSealed: row.client_secret_sealed,
                claim: row.claim,
                groupsClaim: row.groups_claim,
                caPem: row.ca_pem,
                updatedAt: row.updated_at,
                tenantOwnedAt: row.tenant_owned_at,
              }
            : null,
        );
      },
      identityLink: (issuer, subject) =>
        Promise.resolve(
          (control().prepare('SELECT user_id FROM tenant_identity_links WHERE tenant_id = ? AND issuer = ? AND subject = ?').pluck().get(tenant.id, issuer, subject) as string | undefined) ?? null,
        ),
      recoveries: (limit) => Promise.resolve(recoveries.ofTenant(tenant.id, limit)),
      probeTests() {
        const rows = control().prepare('SELECT * FROM probe_tests WHERE tenant_id = ? ORDER BY created_at, id').all(tenant.id) as {
          id: string;
          name: string;
          target: string;
          kind: ProbeTestRecord['kind'];
          interval_s: number;
          created_at: string;
        }[];
        return Promise.resolve(rows.map((row) => ({ id: row.id, name: row.name, target: row.target, kind: row.kind, intervalS: row.interval_s, createdAt: row.created_at })));
      },
      agentPools() {
        const rows = control().prepare('SELECT * FROM agent_pools WHERE tenant_id = ? ORDER BY created_at, id').all(tenant.id) as PoolRow[];
        return Promise.resolve(rows.map(toPool));
      },
      agentPool(id) {
        const row = control().prepare('SELECT * FROM agent_pools WHERE tenant_id = ? AND id = ?').get(tenant.id, id) as PoolRow | undefined;
        return Promise.resolve(row ? toPool(row) : null);
      },
      roles() {
        const rows = control().prepare('SELECT name, permissions FROM tenant_roles WHERE tenant_id = ? ORDER BY name').all(tenant.id) as { name: string; permissions: string }[];
        return Promise.resolve(rows.map((row) => ({ name: row.name, permissions: JSON.parse(row.permissions) as string[] })));
      },
      roleMappings() {
        const rows = control().prepare('SELECT group_name, role FROM role_mappings WHERE tenant_id = ? ORDER BY group_name, role').all(tenant.id) as { group_name: string; role: string }[];
        return Promise.resolve(rows.map((row) => ({ group: row.group_name, role: row.role })));
      },
      users(page) {
        const rows = control().prepare('SELECT * FROM tenant_users WHERE tenant_id = @tenantId ORDER BY created_at, id LIMIT @limit OFFSET @offset').all({ tenantId: tenant.id, ...pageParams(page) }) as UserRow[];
        return Promise.resolve(rows.map(toUser));
      },
      usersByIds(ids) {
        const rows = control().prepare('SELECT * FROM tenant_users WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id').all(tenant.id, JSON.stringify(ids)) as UserRow[];
        return Promise.resolve(rows.map(toUser));
      },
      userByUserName(userName) {
        const row = control().prepare('SELECT * FROM tenant_users WHERE tenant_id = ? AND lower(user_name) = lower(?)').get(tenant.id, userName) as UserRow | undefined;
        return Promise.resolve(row ? toUser(row) : null);
      },
      usersByExternalId(externalId) {
        const rows = control().prepare('SELECT * FROM tenant_users WHERE tenant_id = ? AND external_id = ? ORDER BY created_at, id').all(tenant.id, externalId) as UserRow[];
        return Promise.resolve(rows.map(toUser));
      },
      groups(page) {
        const rows = control().prepare('SELECT * FROM tenant_groups WHERE tenant_id = @tenantId ORDER BY created_at, id LIMIT @limit OFFSET @offset').all({ tenantId: tenant.id, ...pageParams(page) }) as GroupRow[];
        return Promise.resolve(rows.map(toGroup));
      },
      groupsByIds(ids) {
        const rows = control().prepare('SELECT * FROM tenant_groups WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id').all(tenant.id, JSON.stringify(ids)) as GroupRow[];
        return Promise.resolve(rows.map(toGroup));
      },
      groupByDisplayName(displayName) {
        const row = control().prepare('SELECT * FROM tenant_groups WHERE tenant_id = ? AND lower(display_name) = lower(?)').get(tenant.id, displayName) as GroupRow | undefined;
        return Promise.resolve(row ? toGroup(row) : null);
      },
      groupsByExternalId(externalId) {
        const rows = control().prepare('SELECT * FROM tenant_groups WHERE tenant_id = ? AND external_id = ? ORDER BY created_at, id').all(tenant.id, externalId) as GroupRow[];
        return Promise.resolve(rows.map(toGroup));
      },
      memberships(of) {
        const select = `SELECT m.group_id, g.display_name AS group_display_name, m.user_id, u.user_name, u.display_name AS user_display_name
          FROM group_members m
          JOIN tenant_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
          JOIN tenant_users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
          WHERE m.tenant_id = ?`;
        const order = ' ORDER BY m.group_id, u.created_at, u.id';
        const db = control();
        const rows = (
          of === undefined
            ? db.prepare(select + order).all(tenant.id)
            : 'groupIds' in of
              ? db.prepare(`${select} AND m.group_id IN (SELECT value FROM json_each(?))${order}`).all(tenant.id, JSON.stringify(of.groupIds))
              : db.prepare(`${select} AND m.user_id IN (SELECT value FROM json_each(?))${order}`).all(tenant.id, JSON.stringify(of.userIds))
        ) as MembershipRow[];
        return Promise.resolve(rows.map(toMembership));
      },
      groupCount() {
        return Promise.resolve(control().prepare('SELECT COUNT(*) FROM tenant_groups WHERE tenant_id = ?').pluck().get(tenant.id) as number);
      },
      tokenByHash(tokenHash) {
        const row = cachedStatement(control(), 'SELECT id, kind, name, created_at, expires_at, revoked_at, subject_id FROM tenant_tokens WHERE tenant_id = ? AND token_hash = ?')
          .get(tenant.id, tokenHash) as TokenRow | undefined;
        return Promise.resolve(row ? toTokenRecord(row) : null);
      },
    };
  }

  tokenTenant(tokenHash: string): Promise<string | null> {
    return Promise.resolve((cachedStatement(this.db, 'SELECT tenant_id FROM token_index WHERE token_hash = ?').pluck().get(tokenHash) as string | undefined) ?? null);
  }

  scrub(): Promise<void> {
    // secure_delete has overwritten freed pages in the main file; the WAL still holds old frames until a checkpoint.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return ok;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await Promise.all([this.ownWriter.close(), ...[...this.cells.values()].map((cell) => cell.writer.close())]);
    for (const db of this.ownStores.values()) {
      db.close();
    }
    this.ownStores.clear();
    for (const cell of this.cells.values()) {
      cell.db.close();
    }
    this.cells.clear();
    if (this.db.open) {
      this.db.close();
    }
  }
}

function operatorStore(db: Database.Database): OperatorStore {
  return {
    count: () => Promise.resolve(db.prepare('SELECT COUNT(*) FROM operators').pluck().get() as number),
    create(operator) {
      db.prepare('INSERT INTO operators (id, username, password_hash, totp_secret_sealed, roles, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        operator.id,
        operator.username,
        operator.passwordHash,
        operator.totpSecretSealed,
        JSON.stringify(operator.roles),
        operator.createdAt,
      );
      return ok;
    },
    findByUsername(username) {
      const row = db.prepare('SELECT * FROM operators WHERE username = ?').get(username) as OperatorRow | undefined;
      return Promise.resolve(row ? toOperator(row) : null);
    },
    findById(id) {
      const row = db.prepare('SELECT * FROM operators WHERE id = ?').get(id) as OperatorRow | undefined;
      return Promise.resolve(row ? toOperator(row) : null);
    },
    list() {
      return Promise.resolve((db.prepare('SELECT * FROM operators ORDER BY username').all() as OperatorRow[]).map(toOperator));
    },
    claimTotpStep(id, step) {
      const result = db.prepare('UPDATE operators SET last_totp_step = ? WHERE id = ? AND (last_totp_step IS NULL OR last_totp_step < ?)').run(step, id, step);
      return Promise.resolve(result.changes === 1);
    },
  };
}

interface SessionRow {
  id: string;
  operator_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

function sessionStore(db: Database.Database): OperatorSessionStore {
  return {
    create(session) {
      db.prepare('INSERT INTO operator_sessions (id, token_hash, operator_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        session.id,
        session.tokenHash,
        session.operatorId,
        session.createdAt,
        session.createdAt,
        session.expiresAt,
      );
      return ok;
    },
    findByTokenHash(tokenHash): Promise<SessionRecord | null> {
      const row = db.prepare('SELECT id, operator_id, created_at, last_seen_at, expires_at, revoked_at FROM operator_sessions WHERE token_hash = ?').get(tokenHash) as
        | SessionRow
        | undefined;
      return Promise.resolve(
        row ? { id: row.id, operatorId: row.operator_id, createdAt: row.created_at, lastSeenAt: row.last_seen_at, expiresAt: row.expires_at, revokedAt: row.revoked_at } : null,
      );
    },
    touch(id, at) {
      db.prepare('UPDATE operator_sessions SET last_seen_at = ? WHERE id = ?').run(at, id);
      return ok;
    },
    revoke(id, at) {
      db.prepare('UPDATE operator_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
      return ok;
    },
  };
}

function throttleStore(db: Database.Database): LoginThrottleStore {
  return {
    get(key): Promise<LoginThrottleRecord> {
      const row = db.prepare('SELECT failures, locked_until FROM login_throttle WHERE key = ?').get(key) as { failures: number; locked_until: string | null } | undefined;
      return Promise.resolve({ failures: row?.failures ?? 0, lockedUntil: row?.locked_until ?? null });
    },
    recordFailure(key, at) {
      const failures = db
        .prepare(
          `INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?)
           ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at
           RETURNING failures`,
        )
        .pluck()
        .get(key, at) as number;
      return Promise.resolve(failures);
    },
    lock(key, until) {
      db.prepare('UPDATE login_throttle SET locked_until = ? WHERE key = ?').run(until, key);
      return ok;
    },
    reset(key) {
      db.prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
      return ok;
    },
  };
}

function tenantReader(db: Database.Database): TenantReader {
  return {
    byId(id) {
      const row = cachedStatement(db, 'SELECT * FROM tenants WHERE id = ?').get(id) as TenantRow | undefined;
      return Promise.resolve(row ? toTenant(row) : null);
    },
    bySlug(slug) {
      const row = db.prepare('SELECT * FROM tenants WHERE slug = ?').get(slug) as TenantRow | undefined;
      return Promise.resolve(row ? toTenant(row) : null);
    },
    list(query: TenantListQuery) {
      const clauses: string[] = [];
      if (query.state !== undefined) clauses.push('state = @state');
      if (query.after !== undefined) clauses.push('(created_at, id) > (@afterCreatedAt, @afterId)');
      const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
      const rows = db.prepare(`SELECT * FROM tenants ${where} ORDER BY created_at, id LIMIT @limit`).all({
        state: query.state,
        afterCreatedAt: query.after?.createdAt,
        afterId: query.after?.id,
        limit: query.limit,
      }) as TenantRow[];
      return Promise.resolve(rows.map(toTenant));
    },
    countLive() {
      return Promise.resolve(db.prepare("SELECT COUNT(*) FROM tenants WHERE state != 'deleted'").pluck().get() as number);
    },
  };
}

interface ReplicaRow {
  id: string;
  address: string;
  started_at: string;
  heartbeat_at: string;
}

function replicaRegistry(db: Database.Database): Storage['replicas'] {
  return {
    heartbeat(replica) {
      db.prepare(
        `INSERT INTO replicas (id, address, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, address = excluded.address`,
      ).run(replica.id, replica.address, replica.startedAt, replica.heartbeatAt);
      return ok;
    },
    remove(id) {
      db.prepare('DELETE FROM replicas WHERE id = ?').run(id);
      return ok;
    },
    live(since) {
      const rows = db.prepare('SELECT * FROM replicas WHERE heartbeat_at >= ? ORDER BY started_at').all(since) as ReplicaRow[];
      return Promise.resolve(rows.map((row) => ({ id: row.id, address: row.address, startedAt: row.started_at, heartbeatAt: row.heartbeat_at })));
    },
  };
}

interface TokenRow {
  id: string;
  kind: TenantTokenRecord['kind'];
  name: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  subject_id: string | null;
}

function toTokenRecord(row: TokenRow): TenantTokenRecord {
  return { id: row.id, kind: row.kind, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, subjectId: row.subject_id };
}

interface PoolRow {
  id: string;
  name: string;
  ttl_seconds: number;
  default_group: string | null;
  created_at: string;
}

function toPool(row: PoolRow): AgentPoolRecord {
  return { id: row.id, name: row.name, ttlSeconds: row.ttl_seconds, defaultGroup: row.default_group, createdAt: row.created_at };
}
