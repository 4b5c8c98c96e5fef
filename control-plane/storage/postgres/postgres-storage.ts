import pg from 'pg';
import { FairnessLimits } from '../../../contracts/fairness';
import { ProviderRole } from '../../../contracts/operators';
import { Quotas, type IsolationModel } from '../../../contracts/tenants';
import { prepareAppend, verifyStoredLedger, type StoredEntry, type StoredHead } from '../../audit/ledger-chain';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import { EMPTY_ROOT } from '../../audit/merkle';
import {
  DirectoryConflict,
  type DirectoryEmail,
  type DirectoryGroup,
  type DirectoryMembership,
  type DirectoryPage,
  type DirectoryUser,
} from '../types';
import type {
  LedgerEntry,
  LedgerEntryInput,
  LedgerQuery,
  LedgerReader,
  LoginThrottleStore,
  OperatorRecord,
  OperatorSessionStore,
  OperatorStore,
  Storage,
  TenantReader,
  TenantRecord,
  TenantScope,
  TenantTokenRecord,
  AgentPoolRecord,
  ProbeTestRecord,
  WriteTx,
} from '../types';
import { PostgresTelemetry } from './postgres-telemetry';
import { postgresBreakGlassReader, postgresBreakGlassScope, postgresBreakGlassWrites } from './postgres-break-glass';
import { postgresRecoveryReader, postgresRecoveryScope, postgresRecoveryWrites } from './postgres-recovery';
import { enterTenant, inTransaction, tenantSchema, UUID, type Queryable } from './tenant-context';

export { tenantSchema } from './tenant-context';

type Row = Record<string, unknown>;

/** The schema holding a tenant's control data: its own (siloed) or the shared one. */
function ownSchema(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): string {
  return tenant.isolationModel === 'siloed' ? tenantSchema(tenant.id) : 'bh';
}

function text(row: Row, key: string): string {
  const value = row[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw new Error(`column ${key} is not text`);
}

function textOrNull(row: Row, key: string): string | null {
  const value = row[key];
  return value === null || value === undefined ? null : text(row, key);
}

function toOperator(row: Row): OperatorRecord {
  return {
    id: text(row, 'id'),
    username: text(row, 'username'),
    passwordHash: text(row, 'password_hash'),
    totpSecretSealed: row.totp_secret_sealed as Buffer,
    roles: ProviderRole.array().parse(JSON.parse(text(row, 'roles'))),
    createdAt: text(row, 'created_at'),
    lastTotpStep: row.last_totp_step === null ? null : Number(row.last_totp_step),
  };
}

function toTenant(row: Row): TenantRecord {
  return {
    id: text(row, 'id'),
    slug: text(row, 'slug'),
    name: text(row, 'name'),
    isolationModel: text(row, 'isolation_model') as IsolationModel,
    residency: textOrNull(row, 'residency'),
    plan: textOrNull(row, 'plan'),
    contactEmail: textOrNull(row, 'contact_email'),
    state: text(row, 'state') as TenantRecord['state'],
    quotas: Quotas.parse(JSON.parse(text(row, 'quotas'))),
    fairness: row.fairness === null || row.fairness === undefined ? null : FairnessLimits.parse(JSON.parse(text(row, 'fairness'))),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
    handedOverAt: textOrNull(row, 'handed_over_at'),
  };
}

function toStoredEntry(row: Row, tenantId: string | null): StoredEntry {
  return {
    seq: Number(row.seq),
    ts: text(row, 'ts'),
    actor: text(row, 'actor'),
    eventType: text(row, 'event_type'),
    tenantId: tenantId ?? textOrNull(row, 'subject_tenant'),
    detailsJson: text(row, 'details'),
    leafHash: row.leaf_hash as Buffer,
    mac: row.mac as Buffer,
  };
}

function toEntry(ledgerId: string, stored: StoredEntry): LedgerEntry {
  return { ledgerId, seq: stored.seq, ts: stored.ts, actor: stored.actor, eventType: stored.eventType, tenantId: stored.tenantId, details: JSON.parse(stored.detailsJson) as Record<string, unknown>, leafHash: stored.leafHash };
}

function toUser(row: Row): DirectoryUser {
  return {
    id: text(row, 'id'),
    userName: text(row, 'user_name'),
    externalId: textOrNull(row, 'external_id'),
    displayName: textOrNull(row, 'display_name'),
    givenName: textOrNull(row, 'given_name'),
    familyName: textOrNull(row, 'family_name'),
    emails: JSON.parse(text(row, 'emails')) as DirectoryEmail[],
    active: row.active === true,
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
    version: Number(row.version),
  };
}

function userValues(tenantId: string, user: DirectoryUser): unknown[] {
  return [tenantId, user.id, user.userName, user.externalId, user.displayName, user.givenName, user.familyName, JSON.stringify(user.emails), user.active, user.createdAt, user.updatedAt, user.version];
}

function toGroup(row: Row): DirectoryGroup {
  return { id: text(row, 'id'), displayName: text(row, 'display_name'), externalId: textOrNull(row, 'external_id'), createdAt: text(row, 'created_at'), updatedAt: text(row, 'updated_at'), version: Number(row.version) };
}

function toMembership(row: Row): DirectoryMembership {
  return { groupId: text(row, 'group_id'), groupDisplayName: text(row, 'group_display_name'), userId: text(row, 'user_id'), userName: text(row, 'user_name'), userDisplayName: textOrNull(row, 'user_display_name') };
}

/** Only UUIDs can be ids here (the columns are uuid): anything else matches nothing rather than failing the statement. */
function uuids(ids: string[]): string[] {
  return ids.filter((id) => UUID.test(id));
}

/** LIMIT/OFFSET of a directory page (NULL: no limit). */
function pageValues(page: DirectoryPage | undefined): [number | null, number] {
  return page === undefined ? [null, 0] : [page.limit, page.offset];
}

/** Runs a write, turning a unique violation into the directory's conflict (the transaction is then rolled back). */
async function uniqueOr<T>(constraint: DirectoryConflict['constraint'], write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === '23505') {
      throw new DirectoryConflict(constraint);
    }
    throw error;
  }
}

/**
 * The PostgreSQL engine: shared tables in schema `bh`, siloed and hybrid tenants' own schemas,
 * row-level security enforced by the database on every tenant-owned table. The server's role owns
 * nothing and cannot bypass RLS; the tenant context is set per transaction.
 */
export class PostgresStorage implements Storage {
  readonly engine = 'postgres' as const;
  readonly operators: OperatorStore;
  readonly operatorSessions: OperatorSessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly tenants: TenantReader;
  readonly ledgers: LedgerReader;
  readonly replicas: Storage['replicas'];
  readonly telemetry: Storage['telemetry'];
  readonly breakGlass: Storage['breakGlass'];
  readonly recoveries: Storage['recoveries'];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly key: Buffer,
  ) {
    const q = (sql: string, values?: unknown[]) => pool.query<Row>(sql, values);
    this.telemetry = new PostgresTelemetry(pool);
    this.breakGlass = postgresBreakGlassReader(pool);
    this.recoveries = postgresRecoveryReader(pool);
    this.operators = {
      count: async () => Number((await q('SELECT COUNT(*) AS n FROM bh.operators')).rows[0]?.n ?? 0),
      create: async (operator) => {
        await operatorInsert(pool, operator);
      },
      findByUsername: async (username) => {
        const row = (await q('SELECT * FROM bh.operators WHERE username = $1', [username])).rows[0];
        return row ? toOperator(row) : null;
      },
      findById: async (id) => {
        if (!UUID.test(id)) return null;
        const row = (await q('SELECT * FROM bh.operators WHERE id = $1', [id])).rows[0];
        return row ? toOperator(row) : null;
      },
      list: async () => (await q('SELECT * FROM bh.operators ORDER BY username')).rows.map(toOperator),
      claimTotpStep: async (id, step) => claimStep(pool, id, step),
    };
    this.operatorSessions = {
      create: async (session) => {
        await sessionInsert(pool, session);
      },
      findByTokenHash: async (tokenHash) => {
        const row = (await q('SELECT * FROM bh.operator_sessions WHERE token_hash = $1', [tokenHash])).rows[0];
        return row
          ? { id: text(row, 'id'), operatorId: text(row, 'operator_id'), createdAt: text(row, 'created_at'), lastSeenAt: text(row, 'last_seen_at'), expiresAt: text(row, 'expires_at'), revokedAt: textOrNull(row, 'revoked_at') }
          : null;
      },
      touch: async (id, at) => {
        await q('UPDATE bh.operator_sessions SET last_seen_at = $2 WHERE id = $1', [id, at]);
      },
      revoke: async (id, at) => {
        await q('UPDATE bh.operator_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1', [id, at]);
      },
    };
    this.loginThrottle = {
      get: async (key) => {
        const row = (await q('SELECT failures, locked_until FROM bh.login_throttle WHERE key = $1', [key])).rows[0];
        return { failures: Number(row?.failures ?? 0), lockedUntil: row ? textOrNull(row, 'locked_until') : null };
      },
      recordFailure: (key, at) => throttleFailure(pool, key, at),
      lock: async (key, until) => {
        await q('UPDATE bh.login_throttle SET locked_until = $2 WHERE key = $1', [key, until]);
      },
      reset: async (key) => {
        await q('DELETE FROM bh.login_throttle WHERE key = $1', [key]);
      },
    };
    this.tenants = {
      byId: async (id) => {
        if (!UUID.test(id)) return null;
        const row = (await q('SELECT * FROM bh.tenants WHERE id = $1', [id])).rows[0];
        return row ? toTenant(row) : null;
      },
      bySlug: async (slug) => {
        const row = (await q('SELECT * FROM bh.tenants WHERE slug = $1', [slug])).rows[0];
        return row ? toTenant(row) : null;
      },
      list: async (query) => {
        const clauses: string[] = [];
        const values: unknown[] = [];
        if (query.state !== undefined) {
          values.push(query.state);
          clauses.push(`state = $${values.length}`);
        }
        if (query.after !== undefined) {
          values.push(query.after.createdAt, query.after.id);
          clauses.push(`(created_at, id::text) > ($${values.length - 1}, $${values.length})`);
        }
        values.push(query.limit);
        const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
        return (await q(`SELECT * FROM bh.tenants ${where} ORDER BY created_at, id::text LIMIT $${values.length}`, values)).rows.map(toTenant);
      },
      countLive: async () => Number((await q("SELECT COUNT(*) AS n FROM bh.tenants WHERE state <> 'deleted'")).rows[0]?.n ?? 0),
    };
    this.replicas = {
      heartbeat: async (replica) => {
        await q(
          `INSERT INTO bh.replicas (id, address, started_at, heartbeat_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, address = excluded.address`,
          [replica.id, replica.address, replica.startedAt, replica.heartbeatAt],
        );
      },
      remove: async (id) => {
        await q('DELETE FROM bh.replicas WHERE id = $1', [id]);
      },
      live: async (since) =>
        (await q('SELECT * FROM bh.replicas WHERE heartbeat_at >= $1 ORDER BY started_at', [since])).rows.map((row) => ({
          id: text(row, 'id'),
          address: text(row, 'address'),
          startedAt: text(row, 'started_at'),
          heartbeatAt: text(row, 'heartbeat_at'),
        })),
    };
    this.ledgers = {
      entries: (ledgerId, query) => this.ledgerEntries(ledgerId, query),
      entry: async (ledgerId, seq) => (await this.ledgerEntries(ledgerId, { limit: 1, beforeSeq: seq + 1, exactSeq: seq }))[0] ?? null,
      head: async (ledgerId) => {
        const head = await this.readHead(ledgerId);
        return head && head.size > 0 ? { size: head.size, root: head.root } : { size: 0, root: EMPTY_ROOT };
      },
      verify: (ledgerId) => this.verifyLedger(ledgerId),
      leafHashes: (ledgerId, size) =>
        this.read(ledgerId === PROVIDER_LEDGER ? null : ledgerId, async (client) => {
          const sql = ledgerId === PROVIDER_LEDGER ? 'SELECT leaf_hash FROM bh.provider_ledger WHERE seq <= $1 ORDER BY seq' : 'SELECT leaf_hash FROM bh.tenant_ledger WHERE tenant_id = $2 AND seq <= $1 ORDER BY seq';
          const rows = (await client.query<Row>(sql, ledgerId === PROVIDER_LEDGER ? [size] : [size, ledgerId])).rows;
          return rows.map((row) => row.leaf_hash as Buffer);
        }),
    };
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
    return new PostgresStorage(pool, ledgerKey);
  }

  /** The deployment key id the database was initialized with, or null before init. */
  async deploymentKeyId(): Promise<string | null> {
    const row = (await this.pool.query<Row>('SELECT key_id FROM bh.deployment LIMIT 1')).rows[0];
    return row ? text(row, 'key_id') : null;
  }

  async recordDeployment(keyId: string, at: string): Promise<void> {
    await this.pool.query<Row>('INSERT INTO bh.deployment (key_id, created_at) VALUES ($1, $2)', [keyId, at]);
  }

  async ping(): Promise<void> {
    await this.pool.query<Row>('SELECT 1');
  }

  /** A read-only transaction, in a tenant's context when `tenantId` is given. */
  private read<T>(tenantId: string | null, fn: (client: Queryable) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, 'read only', async (client) => {
      if (tenantId !== null) {
        await enterTenant(client, tenantId);
      }
      return fn(client);
    });
  }

  async tenantDataKey(tenantId: string): Promise<Buffer | null> {
    if (!UUID.test(tenantId)) return null;
    return this.read(tenantId, async (client) => {
      const row = (await client.query<Row>('SELECT wrapped_key FROM bh.tenant_keys WHERE tenant_id = $1', [tenantId])).rows[0];
      return (row?.wrapped_key as Buffer | undefined) ?? null;
    });
  }

  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, 'read write', (client) => fn(this.writeTx(client)));
  }

  private writeTx(client: pg.PoolClient): WriteTx {
    return {
      ...postgresBreakGlassWrites(client),
      ...postgresRecoveryWrites(client),
      tenantForUpdate: async (id) => {
        if (!UUID.test(id)) return null;
        const row = (await client.query<Row>('SELECT * FROM bh.tenants WHERE id = $1 FOR UPDATE', [id])).rows[0];
        return row ? toTenant(row) : null;
      },
      countLiveTenants: async () => {
        // Serializes the band check with concurrent creations on every replica until this transaction ends.
        await client.query<Row>('SELECT pg_advisory_xact_lock(4242002)');
        return Number((await client.query<Row>("SELECT COUNT(*) AS n FROM bh.tenants WHERE state <> 'deleted'")).rows[0]?.n ?? 0);
      },
      tenantBySlug: async (slug) => {
        const row = (await client.query<Row>('SELECT * FROM bh.tenants WHERE slug = $1', [slug])).rows[0];
        return row ? toTenant(row) : null;
      },
      createOperatorSession: (session) => sessionInsert(client, session),
      claimTotpStep: (operatorId, step) => claimStep(client, operatorId, step),
      recordLoginFailure: (key, at) => throttleFailure(client, key, at),
      lockLogin: async (key, until) => {
        await client.query<Row>('UPDATE bh.login_throttle SET locked_until = $2 WHERE key = $1', [key, until]);
      },
      resetLogin: async (key) => {
        await client.query<Row>('DELETE FROM bh.login_throttle WHERE key = $1', [key]);
      },
      insertTenant: async (tenant, wrappedDataKey) => {
        await client.query<Row>(
          `INSERT INTO bh.tenants (id, slug, name, isolation_model, residency, plan, contact_email, state, quotas, fairness, created_at, updated_at, handed_over_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            tenant.id,
            tenant.slug,
            tenant.name,
            tenant.isolationModel,
            tenant.residency,
            tenant.plan,
            tenant.contactEmail,
            tenant.state,
            JSON.stringify(tenant.quotas),
            tenant.fairness === null ? null : JSON.stringify(tenant.fairness),
            tenant.createdAt,
            tenant.updatedAt,
            tenant.handedOverAt,
          ],
        );
        await enterTenant(client, tenant.id);
        await client.query<Row>('INSERT INTO bh.tenant_keys (tenant_id, wrapped_key) VALUES ($1, $2)', [tenant.id, wrappedDataKey]);
      },
      updateTenant: async (id, change) => {
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
          await client.query<Row>(`UPDATE bh.tenants SET ${columns.map(([key], index) => `${key} = $${index + 2}`).join(', ')} WHERE id = $1`, [id, ...columns.map(([, value]) => value)]);
        }
      },
      destroyTenantKey: async (tenantId) => {
        await enterTenant(client, tenantId);
        await client.query<Row>("UPDATE bh.tenant_keys SET wrapped_key = '\\x00'::bytea WHERE tenant_id = $1", [tenantId]);
        await client.query<Row>('DELETE FROM bh.tenant_keys WHERE tenant_id = $1', [tenantId]);
      },
      appendLedger: (ledgerId, entry, ts) => this.append(client, ledgerId, entry, ts),
      createOperator: (operator) => operatorInsert(client, operator),
      deleteOperator: async (id) => ((await client.query<Row>('DELETE FROM bh.operators WHERE id = $1', [id])).rowCount ?? 0) === 1,
      revokeOperatorSessions: async (operatorId, at) => {
        await client.query<Row>('UPDATE bh.operator_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE operator_id = $1', [operatorId, at]);
      },
      createTenantToken: async (tenant, token) => {
        await enterTenant(client, tenant.id);
        const schema = ownSchema(tenant);
        await client.query<Row>(`INSERT INTO ${schema}.tenant_tokens (tenant_id, id, kind, token_hash, name, created_at, expires_at, subject_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          tenant.id,
          token.id,
          token.kind,
          token.tokenHash,
          token.name,
          token.createdAt,
          token.expiresAt,
          token.subjectId,
        ]);
        await client.query<Row>('INSERT INTO bh.token_index (token_hash, tenant_id, kind) VALUES ($1, $2, $3)', [token.tokenHash, tenant.id, token.kind]);
      },
      countProbeTests: async (tenant) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>("SELECT pg_advisory_xact_lock(hashtext('tests:' || $1))", [tenant.id]);
        return Number((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${ownSchema(tenant)}.probe_tests WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
      },
      createProbeTest: async (tenant, test) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.probe_tests (tenant_id, id, name, target, kind, interval_s, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          tenant.id,
          test.id,
          test.name,
          test.target,
          test.kind,
          test.intervalS,
          test.createdAt,
        ]);
      },
      deleteProbeTest: async (tenant, testId) => {
        if (!UUID.test(testId)) return false;
        await enterTenant(client, tenant.id);
        return ((await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.probe_tests WHERE tenant_id = $1 AND id = $2`, [tenant.id, testId])).rowCount ?? 0) === 1;
      },
      putIdentity: async (tenant, identity) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(
          `INSERT INTO ${ownSchema(tenant)}.tenant_identity (tenant_id, issuer, client_id, client_secret_sealed, claim, groups_claim, ca_pem, updated_at, tenant_owned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret_sealed = excluded.client_secret_sealed,
             claim = excluded.claim, groups_claim = excluded.groups_claim, ca_pem = excluded.ca_pem, updated_at = excluded.updated_at, tenant_owned_at = excluded.tenant_owned_at`,
          [tenant.id, identity.issuer, identity.clientId, identity.clientSecretSealed, identity.claim, identity.groupsClaim, identity.caPem, identity.updatedAt, identity.tenantOwnedAt],
        );
      },
      setIdentityOwnership: async (tenant, tenantOwnedAt) => {
        await enterTenant(client, tenant.id);
        return ((await client.query<Row>(`UPDATE ${ownSchema(tenant)}.tenant_identity SET tenant_owned_at = $2 WHERE tenant_id = $1`, [tenant.id, tenantOwnedAt])).rowCount ?? 0) === 1;
      },
      linkIdentity: async (tenant, link) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.tenant_identity_links (tenant_id, issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4, $5)`, [
          tenant.id,
          link.issuer,
          link.subject,
          link.userId,
          link.createdAt,
        ]);
      },
      revokeTenantTokens: async (tenant, kinds, at) => {
        await enterTenant(client, tenant.id);
        const { rows } = await client.query<Row>(
          `UPDATE ${ownSchema(tenant)}.tenant_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND kind = ANY($2::text[]) AND revoked_at IS NULL RETURNING kind`,
          [tenant.id, [...kinds], at],
        );
        const counts: Partial<Record<TenantTokenRecord['kind'], number>> = Object.fromEntries(kinds.map((kind) => [kind, 0]));
        for (const row of rows) {
          const kind = text(row, 'kind') as TenantTokenRecord['kind'];
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        return counts;
      },
      createAgentPool: async (tenant, pool) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.agent_pools (tenant_id, id, name, ttl_seconds, default_group, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
          tenant.id,
          pool.id,
          pool.name,
          pool.ttlSeconds,
          pool.defaultGroup,
          pool.createdAt,
        ]);
      },
      countAgents: async (tenant) => {
        await enterTenant(client, tenant.id);
        // Serializes enrollments of this tenant on every replica until the transaction ends (max_agents).
        await client.query<Row>("SELECT pg_advisory_xact_lock(hashtext('agents:' || $1))", [tenant.id]);
        return Number((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${ownSchema(tenant)}.agents WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
      },
      createAgent: async (tenant, agent) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.agents (tenant_id, id, name, pool_id, group_name, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
          tenant.id,
          agent.id,
          agent.name,
          agent.poolId,
          agent.groupName,
          agent.createdAt,
        ]);
      },
      revokeTenantToken: async (tenant, tokenId, kind, at) => {
        if (!UUID.test(tokenId)) return false;
        await enterTenant(client, tenant.id);
        const result = await client.query<Row>(`UPDATE ${ownSchema(tenant)}.tenant_tokens SET revoked_at = $4 WHERE tenant_id = $1 AND id = $2 AND kind = $3 AND revoked_at IS NULL`, [tenant.id, tokenId, kind, at]);
        return (result.rowCount ?? 0) === 1;
      },
      putTenantRoles: async (tenant, roles, at) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.tenant_roles WHERE tenant_id = $1`, [tenant.id]);
        for (const role of roles) {
          await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.tenant_roles (tenant_id, name, permissions, updated_at) VALUES ($1, $2, $3, $4)`, [tenant.id, role.name, JSON.stringify(role.permissions), at]);
        }
      },
      putRoleMappings: async (tenant, mappings) => {
        await enterTenant(client, tenant.id);
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.role_mappings WHERE tenant_id = $1`, [tenant.id]);
        for (const mapping of mappings) {
          await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.role_mappings (tenant_id, group_name, role) VALUES ($1, $2, $3)`, [tenant.id, mapping.group, mapping.role]);
        }
      },
      countTenantUsers: async (tenant) => {
        await enterTenant(client, tenant.id);
        // Serializes user creations of this tenant (on every replica) until this transaction ends.
        await client.query<Row>('SELECT pg_advisory_xact_lock(4242003, hashtext($1))', [tenant.id]);
        return Number((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${ownSchema(tenant)}.tenant_users WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
      },
      tenantUserForUpdate: async (tenant, userId) => {
        if (!UUID.test(userId)) return null;
        await enterTenant(client, tenant.id);
        const row = (await client.query<Row>(`SELECT * FROM ${ownSchema(tenant)}.tenant_users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenant.id, userId])).rows[0];
        return row ? toUser(row) : null;
      },
      insertTenantUser: async (tenant, user) => {
        await enterTenant(client, tenant.id);
        await uniqueOr('user_name', () =>
          client.query<Row>(
            `INSERT INTO ${ownSchema(tenant)}.tenant_users (tenant_id, id, user_name, external_id, display_name, given_name, family_name, emails, active, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
            userValues(tenant.id, user),
          ),
        );
      },
      updateTenantUser: async (tenant, user) => {
        if (!UUID.test(user.id)) return false;
        await enterTenant(client, tenant.id);
        const result = await uniqueOr('user_name', () =>
          client.query<Row>(
            `UPDATE ${ownSchema(tenant)}.tenant_users SET user_name = $3, external_id = $4, display_name = $5, given_name = $6, family_name = $7, emails = $8, active = $9, updated_at = $10, version = $11
             WHERE tenant_id = $1 AND id = $2`,
            [tenant.id, user.id, user.userName, user.externalId, user.displayName, user.givenName, user.familyName, JSON.stringify(user.emails), user.active, user.updatedAt, user.version],
          ),
        );
        return (result.rowCount ?? 0) === 1;
      },
      deleteTenantUser: async (tenant, userId) => {
        if (!UUID.test(userId)) return false;
        await enterTenant(client, tenant.id);
        // The user first: it waits for transactions that hold it (lockTenantUsers), so their new memberships go too.
        const deleted = ((await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.tenant_users WHERE tenant_id = $1 AND id = $2`, [tenant.id, userId])).rowCount ?? 0) === 1;
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.group_members WHERE tenant_id = $1 AND user_id = $2`, [tenant.id, userId]);
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.tenant_identity_links WHERE tenant_id = $1 AND user_id = $2`, [tenant.id, userId]);
        return deleted;
      },
      lockTenantUsers: async (tenant, userIds) => {
        const ids = uuids(userIds);
        if (ids.length === 0) return [];
        await enterTenant(client, tenant.id);
        const rows = (await client.query<Row>(`SELECT id FROM ${ownSchema(tenant)}.tenant_users WHERE tenant_id = $1 AND id = ANY($2::uuid[]) FOR KEY SHARE`, [tenant.id, ids])).rows;
        return rows.map((row) => text(row, 'id'));
      },
      tenantGroupForUpdate: async (tenant, groupId) => {
        if (!UUID.test(groupId)) return null;
        await enterTenant(client, tenant.id);
        const row = (await client.query<Row>(`SELECT * FROM ${ownSchema(tenant)}.tenant_groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenant.id, groupId])).rows[0];
        return row ? toGroup(row) : null;
      },
      insertTenantGroup: async (tenant, group) => {
        await enterTenant(client, tenant.id);
        await uniqueOr('group_display_name', () =>
          client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.tenant_groups (tenant_id, id, display_name, external_id, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
            tenant.id,
            group.id,
            group.displayName,
            group.externalId,
            group.createdAt,
            group.updatedAt,
            group.version,
          ]),
        );
      },
      updateTenantGroup: async (tenant, group) => {
        if (!UUID.test(group.id)) return false;
        await enterTenant(client, tenant.id);
        const result = await uniqueOr('group_display_name', () =>
          client.query<Row>(`UPDATE ${ownSchema(tenant)}.tenant_groups SET display_name = $3, external_id = $4, updated_at = $5, version = $6 WHERE tenant_id = $1 AND id = $2`, [
            tenant.id,
            group.id,
            group.displayName,
            group.externalId,
            group.updatedAt,
            group.version,
          ]),
        );
        return (result.rowCount ?? 0) === 1;
      },
      deleteTenantGroup: async (tenant, groupId) => {
        if (!UUID.test(groupId)) return false;
        await enterTenant(client, tenant.id);
        const deleted = ((await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.tenant_groups WHERE tenant_id = $1 AND id = $2`, [tenant.id, groupId])).rowCount ?? 0) === 1;
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.group_members WHERE tenant_id = $1 AND group_id = $2`, [tenant.id, groupId]);
        return deleted;
      },
      groupMemberIds: async (tenant, groupId) => {
        if (!UUID.test(groupId)) return [];
        await enterTenant(client, tenant.id);
        const rows = (await client.query<Row>(`SELECT user_id FROM ${ownSchema(tenant)}.group_members WHERE tenant_id = $1 AND group_id = $2 ORDER BY user_id`, [tenant.id, groupId])).rows;
        return rows.map((row) => text(row, 'user_id'));
      },
      addGroupMembers: async (tenant, groupId, userIds) => {
        const ids = uuids(userIds);
        if (ids.length === 0 || !UUID.test(groupId)) return;
        await enterTenant(client, tenant.id);
        await client.query<Row>(`INSERT INTO ${ownSchema(tenant)}.group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`, [tenant.id, groupId, ids]);
      },
      removeGroupMembers: async (tenant, groupId, userIds) => {
        const ids = uuids(userIds);
        if (ids.length === 0 || !UUID.test(groupId)) return;
        await enterTenant(client, tenant.id);
        await client.query<Row>(`DELETE FROM ${ownSchema(tenant)}.group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[])`, [tenant.id, groupId, ids]);
      },
      purgeTenantData: async (tenant) => {
        await enterTenant(client, tenant.id);
        // The pooled telemetry goes too (an own schema goes whole); usage_counters stay: they are billing counts.
        for (const table of ['agents', 'tenant_users', 'tenant_groups', 'group_members', 'probe_tests', 'tenant_tokens', 'token_index', 'telemetry_results', 'telemetry_batches', 'tenant_roles', 'role_mappings', 'agent_pools', 'tenant_identity', 'tenant_identity_links']) {
          await client.query<Row>(`DELETE FROM bh.${table} WHERE tenant_id = $1`, [tenant.id]);
        }
      },
    };
  }

  private async readHead(ledgerId: string, client?: Queryable): Promise<StoredHead | null> {
    const run = async (c: Queryable): Promise<StoredHead | null> => {
      const row = (
        ledgerId === PROVIDER_LEDGER
          ? await c.query<Row>('SELECT size, root, frontier, mac FROM bh.provider_ledger_head')
          : await c.query<Row>('SELECT size, root, frontier, mac FROM bh.tenant_ledger_heads WHERE tenant_id = $1', [ledgerId])
      ).rows[0];
      return row ? { size: Number(row.size), root: row.root as Buffer, frontier: row.frontier as Buffer, mac: row.mac as Buffer } : null;
    };
    return client ? run(client) : this.read(ledgerId === PROVIDER_LEDGER ? null : ledgerId, run);
  }

  /** Appends under a row lock on the ledger's head, so appends from several replicas stay in one order. */
  private async append(client: pg.PoolClient, ledgerId: string, input: LedgerEntryInput, ts: string): Promise<LedgerEntry> {
    const provider = ledgerId === PROVIDER_LEDGER;
    if (!provider) {
      await enterTenant(client, ledgerId);
    }
    const lock = provider ? 'SELECT size, root, frontier, mac FROM bh.provider_ledger_head FOR UPDATE' : 'SELECT size, root, frontier, mac FROM bh.tenant_ledger_heads WHERE tenant_id = $1 FOR UPDATE';
    let row = (await client.query<Row>(lock, provider ? [] : [ledgerId])).rows[0];
    if (row === undefined) {
      // First entry: create the head row (size 0) once; a concurrent first append waits on it.
      if (provider) {
        await client.query<Row>("INSERT INTO bh.provider_ledger_head (only_row, size, root, frontier, mac) VALUES (true, 0, '\\x', '\\x', '\\x') ON CONFLICT DO NOTHING");
      } else {
        await client.query<Row>("INSERT INTO bh.tenant_ledger_heads (tenant_id, size, root, frontier, mac) VALUES ($1, 0, '\\x', '\\x', '\\x') ON CONFLICT DO NOTHING", [ledgerId]);
      }
      row = (await client.query<Row>(lock, provider ? [] : [ledgerId])).rows[0];
    }
    const size = Number(row?.size ?? 0);
    const { entry, head } = prepareAppend(this.key, ledgerId, size === 0 ? null : { size, frontier: row?.frontier as Buffer }, input, ts);
    if (provider) {
      await client.query<Row>('INSERT INTO bh.provider_ledger (seq, ts, actor, event_type, subject_tenant, details, leaf_hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        entry.seq,
        ts,
        input.actor,
        input.eventType,
        input.tenantId,
        entry.detailsJson,
        entry.leafHash,
        entry.mac,
      ]);
      await client.query<Row>('UPDATE bh.provider_ledger_head SET size = $1, root = $2, frontier = $3, mac = $4', [head.size, head.root, head.frontier, head.mac]);
    } else {
      await client.query<Row>('INSERT INTO bh.tenant_ledger (tenant_id, seq, ts, actor, event_type, details, leaf_hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        ledgerId,
        entry.seq,
        ts,
        input.actor,
        input.eventType,
        entry.detailsJson,
        entry.leafHash,
        entry.mac,
      ]);
      await client.query<Row>('UPDATE bh.tenant_ledger_heads SET size = $2, root = $3, frontier = $4, mac = $5 WHERE tenant_id = $1', [ledgerId, head.size, head.root, head.frontier, head.mac]);
    }
    return toEntry(ledgerId, entry);
  }

  private ledgerEntries(ledgerId: string, query: LedgerQuery & { exactSeq?: number }): Promise<LedgerEntry[]> {
    const provider = ledgerId === PROVIDER_LEDGER;
    return this.read(provider ? null : ledgerId, async (client) => {
      const clauses: string[] = [];
      const values: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        values.push(value);
        clauses.push(clause.replace('?', `$${values.length}`));
      };
      if (!provider) add('tenant_id = ?', ledgerId);
      if (provider && query.tenantId !== undefined) add('subject_tenant = ?', query.tenantId);
      if (query.eventType !== undefined) add('event_type = ?', query.eventType);
      if (query.beforeSeq !== undefined) add('seq < ?', query.beforeSeq);
      if (query.exactSeq !== undefined) add('seq = ?', query.exactSeq);
      values.push(query.limit);
      const table = provider ? 'bh.provider_ledger' : 'bh.tenant_ledger';
      const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
      const rows = (await client.query<Row>(`SELECT * FROM ${table} ${where} ORDER BY seq DESC LIMIT $${values.length}`, values)).rows;
      return rows.map((row) => toEntry(ledgerId, toStoredEntry(row, provider ? null : ledgerId)));
    });
  }

  private verifyLedger(ledgerId: string): ReturnType<LedgerReader['verify']> {
    const provider = ledgerId === PROVIDER_LEDGER;
    return this.read(provider ? null : ledgerId, async (client) => {
      const page = 10_000;
      const rows = async function* (): AsyncGenerator<StoredEntry> {
        for (let after = 0; ; after += page) {
          const batch = (
            provider
              ? await client.query<Row>('SELECT * FROM bh.provider_ledger WHERE seq > $1 AND seq <= $2 ORDER BY seq', [after, after + page])
              : await client.query<Row>('SELECT * FROM bh.tenant_ledger WHERE tenant_id = $3 AND seq > $1 AND seq <= $2 ORDER BY seq', [after, after + page, ledgerId])
          ).rows;
          for (const row of batch) {
            yield toStoredEntry(row, provider ? null : ledgerId);
          }
          const max = (
            provider ? await client.query<Row>('SELECT COALESCE(MAX(seq), 0) AS m FROM bh.provider_ledger') : await client.query<Row>('SELECT COALESCE(MAX(seq), 0) AS m FROM bh.tenant_ledger WHERE tenant_id = $1', [ledgerId])
          ).rows[0] as Row;
          if (after + page >= Number(max.m)) {
            return;
          }
        }
      };
      return verifyStoredLedger(this.key, ledgerId, rows(), async () => {
        const head = await this.readHead(ledgerId, client);
        return head === null || head.size === 0 ? null : head;
      });
    });
  }

  async createTenantStores(tenantId: string, model: IsolationModel): Promise<() => Promise<void>> {
    if (model === 'pooled') {
      return () => Promise.resolve();
    }
    await this.pool.query<Row>('SELECT bh.create_tenant_schema($1, $2)', [tenantId, model]);
    return () => this.removeTenantStores(tenantId);
  }

  async removeTenantStores(tenantId: string): Promise<void> {
    await this.pool.query<Row>('SELECT bh.drop_tenant_schema($1)', [tenantId]);
  }

  async sweepOrphanStores(): Promise<string[]> {
    const rows = (
      await this.pool.query<Row>(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bh\\_t\\_%'
         AND NOT EXISTS (SELECT 1 FROM bh.tenants t WHERE 'bh_t_' || replace(t.id::text, '-', '') = nspname AND t.state <> 'deleted')`,
      )
    ).rows;
    const removed: string[] = [];
    for (const row of rows) {
      const hex = text(row, 'nspname').slice('bh_t_'.length);
      const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      await this.removeTenantStores(id);
      removed.push(text(row, 'nspname'));
    }
    return removed;
  }

  tenantScope(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): TenantScope {
    const schema = ownSchema(tenant);
    const toToken = (row: Row): TenantTokenRecord => ({
      id: text(row, 'id'),
      kind: text(row, 'kind') as TenantTokenRecord['kind'],
      name: text(row, 'name'),
      createdAt: text(row, 'created_at'),
      expiresAt: text(row, 'expires_at'),
      revokedAt: textOrNull(row, 'revoked_at'),
      subjectId: textOrNull(row, 'subject_id'),
    });
    const toPool = (row: Row): AgentPoolRecord => ({
      id: text(row, 'id'),
      name: text(row, 'name'),
      ttlSeconds: Number(row.ttl_seconds),
      defaultGroup: textOrNull(row, 'default_group'),
      createdAt: text(row, 'created_at'),
    });
    return {
      tenantId: tenant.id,
      // Break-glass rows live in bh for every model.
      ...postgresBreakGlassScope(tenant.id, (fn) => this.read(tenant.id, fn)),
      tokens: (kind) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_tokens WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at, id`, [tenant.id, kind])).rows.map(toToken),
        ),
      roles: () =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT name, permissions FROM ${schema}.tenant_roles WHERE tenant_id = $1 ORDER BY name`, [tenant.id])).rows.map((row) => ({
            name: text(row, 'name'),
            permissions: JSON.parse(text(row, 'permissions')) as string[],
          })),
        ),
      roleMappings: () =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT group_name, role FROM ${schema}.role_mappings WHERE tenant_id = $1 ORDER BY group_name, role`, [tenant.id])).rows.map((row) => ({
            group: text(row, 'group_name'),
            role: text(row, 'role'),
          })),
        ),
      users: (page) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_users WHERE tenant_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [tenant.id, ...pageValues(page)])).rows.map(toUser),
        ),
      usersByIds: (ids) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_users WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY created_at, id`, [tenant.id, uuids(ids)])).rows.map(toUser),
        ),
      userByUserName: (userName) =>
        this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT * FROM ${schema}.tenant_users WHERE tenant_id = $1 AND lower(user_name) = lower($2)`, [tenant.id, userName])).rows[0];
          return row ? toUser(row) : null;
        }),
      usersByExternalId: (externalId) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_users WHERE tenant_id = $1 AND external_id = $2 ORDER BY created_at, id`, [tenant.id, externalId])).rows.map(toUser),
        ),
      groups: (page) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_groups WHERE tenant_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [tenant.id, ...pageValues(page)])).rows.map(toGroup),
        ),
      groupsByIds: (ids) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_groups WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY created_at, id`, [tenant.id, uuids(ids)])).rows.map(toGroup),
        ),
      groupByDisplayName: (displayName) =>
        this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT * FROM ${schema}.tenant_groups WHERE tenant_id = $1 AND lower(display_name) = lower($2)`, [tenant.id, displayName])).rows[0];
          return row ? toGroup(row) : null;
        }),
      groupsByExternalId: (externalId) =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.tenant_groups WHERE tenant_id = $1 AND external_id = $2 ORDER BY created_at, id`, [tenant.id, externalId])).rows.map(toGroup),
        ),
      memberships: (of) =>
        this.read(tenant.id, async (client) => {
          const select = `SELECT m.group_id, g.display_name AS group_display_name, m.user_id, u.user_name, u.display_name AS user_display_name
            FROM ${schema}.group_members m
            JOIN ${schema}.tenant_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
            JOIN ${schema}.tenant_users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
            WHERE m.tenant_id = $1`;
          const order = ' ORDER BY m.group_id, u.created_at, u.id';
          const result =
            of === undefined
              ? await client.query<Row>(select + order, [tenant.id])
              : 'groupIds' in of
                ? await client.query<Row>(`${select} AND m.group_id = ANY($2::uuid[])${order}`, [tenant.id, uuids(of.groupIds)])
                : await client.query<Row>(`${select} AND m.user_id = ANY($2::uuid[])${order}`, [tenant.id, uuids(of.userIds)]);
          return result.rows.map(toMembership);
        }),
      groupCount: () => this.read(tenant.id, async (client) => Number((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${schema}.tenant_groups WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0)),
      counts: () =>
        this.read(tenant.id, async (client) => {
          const count = async (table: string) => Number((await client.query<Row>(`SELECT COUNT(*) AS n FROM ${schema}.${table} WHERE tenant_id = $1`, [tenant.id])).rows[0]?.n ?? 0);
          return { agents: await count('agents'), users: await count('tenant_users'), tests: await count('probe_tests') };
        }),
      tokenByHash: (tokenHash) =>
        this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT * FROM ${schema}.tenant_tokens WHERE tenant_id = $1 AND token_hash = $2`, [tenant.id, tokenHash])).rows[0];
          return row ? toToken(row) : null;
        }),
      identity: () =>
        this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT * FROM ${schema}.tenant_identity WHERE tenant_id = $1`, [tenant.id])).rows[0];
          return row
            ? {
                issuer: text(row, 'issuer'),
                clientId: text(row, 'client_id'),
                clientSecretSealed: row.client_secret_sealed as Buffer,
                claim: textOrNull(row, 'claim'),
                groupsClaim: text(row, 'groups_claim'),
                caPem: textOrNull(row, 'ca_pem'),
                updatedAt: text(row, 'updated_at'),
                tenantOwnedAt: textOrNull(row, 'tenant_owned_at'),
              }
            : null;
        }),
      identityLink: (issuer, subject) =>
        this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT user_id FROM ${schema}.tenant_identity_links WHERE tenant_id = $1 AND issuer = $2 AND subject = $3`, [tenant.id, issuer, subject])).rows[0];
          return row ? text(row, 'user_id') : null;
        }),
      recoveries: postgresRecoveryScope(tenant.id, (fn) => this.read(tenant.id, fn)),
      probeTests: () =>
        this.read(tenant.id, async (client) =>
          (await client.query<Row>(`SELECT * FROM ${schema}.probe_tests WHERE tenant_id = $1 ORDER BY created_at, id`, [tenant.id])).rows.map((row) => ({
            id: text(row, 'id'),
            name: text(row, 'name'),
            target: text(row, 'target'),
            kind: text(row, 'kind') as ProbeTestRecord['kind'],
            intervalS: Number(row.interval_s),
            createdAt: text(row, 'created_at'),
          })),
        ),
      agentPools: () =>
        this.read(tenant.id, async (client) => (await client.query<Row>(`SELECT * FROM ${schema}.agent_pools WHERE tenant_id = $1 ORDER BY created_at, id`, [tenant.id])).rows.map(toPool)),
      agentPool: async (id) => {
        if (!UUID.test(id)) return null;
        return this.read(tenant.id, async (client) => {
          const row = (await client.query<Row>(`SELECT * FROM ${schema}.agent_pools WHERE tenant_id = $1 AND id = $2`, [tenant.id, id])).rows[0];
          return row ? toPool(row) : null;
        });
      },
    };
  }

  async tokenTenant(tokenHash: string): Promise<string | null> {
    const client = await this.pool.connect();
    try {
      await client.query<Row>('BEGIN READ ONLY');
      // The routing row is visible only to a transaction that presents the token's hash (see the policy).
      await client.query<Row>("SELECT set_config('app.token_hash', $1, true)", [tokenHash]);
      const row = (await client.query<Row>('SELECT tenant_id FROM bh.token_index WHERE token_hash = $1', [tokenHash])).rows[0];
      await client.query<Row>('COMMIT');
      return row ? text(row, 'tenant_id') : null;
    } catch (error) {
      await client.query<Row>('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deleted rows are gone from queries at once; VACUUM (by the owner, outside the app) reclaims their space. */
  scrub(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (!this.pool.ended) {
      await this.pool.end();
    }
  }
}

async function operatorInsert(client: Queryable, operator: { id: string; username: string; passwordHash: string; totpSecretSealed: Buffer; roles: string[]; createdAt: string }): Promise<void> {
  await client.query<Row>('INSERT INTO bh.operators (id, username, password_hash, totp_secret_sealed, roles, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
    operator.id,
    operator.username,
    operator.passwordHash,
    operator.totpSecretSealed,
    JSON.stringify(operator.roles),
    operator.createdAt,
  ]);
}

async function sessionInsert(client: Queryable, session: { id: string; tokenHash: string; operatorId: string; createdAt: string; expiresAt: string }): Promise<void> {
  await client.query<Row>('INSERT INTO bh.operator_sessions (id, token_hash, operator_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)', [
    session.id,
    session.tokenHash,
    session.operatorId,
    session.createdAt,
    session.expiresAt,
  ]);
}

async function claimStep(client: Queryable, id: string, step: number): Promise<boolean> {
  const result = await client.query<Row>('UPDATE bh.operators SET last_totp_step = $2 WHERE id = $1 AND (last_totp_step IS NULL OR last_totp_step < $2)', [id, step]);
  return (result.rowCount ?? 0) === 1;
}

async function throttleFailure(client: Queryable, key: string, at: string): Promise<number> {
  const row = (
    await client.query<Row>(
      `INSERT INTO bh.login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET failures = bh.login_throttle.failures + 1, last_failure_at = excluded.last_failure_at
       RETURNING failures`,
      [key, at],
    )
  ).rows[0];
  return Number(row?.failures ?? 1);
}
