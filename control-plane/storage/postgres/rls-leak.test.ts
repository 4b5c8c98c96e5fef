import { randomBytes, randomUUID } from 'node:crypto';
import pg, { escapeIdentifier } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE, OWNER_ROLE } from '../../../test/helpers/postgres-roles';
import { tenantSchema } from './postgres-storage';
import { attempt, createTestDatabase, inTransaction, tenantTable, tenantTables, type Queryable, type SqlError, type TenantTable, type TestDatabase } from '../../../test/helpers/postgres-test-database';

/**
 * Cross-tenant leak tests at the SQL layer, connected as the role the server uses (bulkhead_app).
 * Every table with a tenant_id (found in pg_catalog, in bh and in every tenant schema) holds rows of
 * two tenants A and B, seeded by the superuser, who bypasses RLS. With A's context set, the app role
 * must see, change and write A's rows only; with no context, nothing at all.
 *
 * The shared schema holds rows of both tenants, so what is tested is row-level security and not the
 * split into schemas. A tenant's own schema holds only its own rows: it is bound to its tenant by a
 * CHECK on the schema's own tenant id, which even the superuser's seeding cannot get around (tested
 * below: a wrong context cannot write into another tenant's schema).
 */

type Value = string | number | boolean | Buffer | null;
type Row = Record<string, Value>;

interface RowBuilder {
  /** The primary key is tenant_id alone: one row per tenant. */
  onePerTenant: boolean;
  row(tenantId: string): Row;
}

let serial = 0;
const next = () => ++serial;
const at = new Date().toISOString();
const bytes = () => randomBytes(32);
const hash = () => randomBytes(32).toString('hex');

/**
 * A valid row for every tenant-owned table, by table name (the same in bh and in tenant schemas).
 * A table with a tenant_id and no builder here fails the suite: add one when adding a table.
 */
const BUILDERS = new Map<string, RowBuilder>([
  ['agents', { onePerTenant: false, row: (t) => ({ tenant_id: t, id: randomUUID(), name: `agent-${next()}`, created_at: at }) }],
  ['tenant_users', { onePerTenant: false, row: (t) => ({ tenant_id: t, id: randomUUID(), user_name: `user-${next()}`, active: true, created_at: at }) }],
  ['probe_tests', { onePerTenant: false, row: (t) => ({ tenant_id: t, id: randomUUID(), name: `probe-${next()}`, created_at: at }) }],
  ['tenant_roles', { onePerTenant: false, row: (t) => ({ tenant_id: t, name: `role-${next()}`, permissions: '["agents:read"]', updated_at: at }) }],
  ['role_mappings', { onePerTenant: false, row: (t) => ({ tenant_id: t, group_name: `group-${next()}`, role: 'viewer' }) }],
  ['tenant_groups', { onePerTenant: false, row: (t) => ({ tenant_id: t, id: randomUUID(), display_name: `group-${next()}`, external_id: null, created_at: at, updated_at: at, version: 1 }) }],
  ['group_members', { onePerTenant: false, row: (t) => ({ tenant_id: t, group_id: randomUUID(), user_id: randomUUID() }) }],
  ['tenant_identity', { onePerTenant: true, row: (t) => ({ tenant_id: t, issuer: 'https://idp.example', client_id: 'c', client_secret_sealed: Buffer.from('x'), claim: null, groups_claim: 'groups', ca_pem: null, updated_at: at }) }],
  ['agent_pools', { onePerTenant: false, row: (t) => ({ tenant_id: t, id: randomUUID(), name: `pool-${next()}`, ttl_seconds: 3600, default_group: null, created_at: at }) }],
  [
    'tenant_tokens',
    {
      onePerTenant: false,
      row: (t) => ({ tenant_id: t, id: randomUUID(), kind: 'agent', token_hash: hash(), name: `token-${next()}`, created_at: at, expires_at: '2099-01-01T00:00:00.000Z', revoked_at: null }),
    },
  ],
  ['telemetry_chunks', { onePerTenant: false, row: (t) => ({ tenant_id: t, test_id: randomUUID(), first_ms: 1_900_000_000_000 + next(), last_ms: 1_900_000_000_500 + next(), batch_id: randomUUID(), count: 3, body: bytes() }) }],
  [
    'telemetry_batches',
    {
      onePerTenant: false,
      row: (t) => ({ tenant_id: t, batch_id: randomUUID(), agent_id: randomUUID(), received_at: at, first_ts: at, last_ts: at, result_count: 1, flow_count: 2, bytes: 512, sealed: bytes() }),
    },
  ],
  ['usage_counters', { onePerTenant: false, row: (t) => ({ tenant_id: t, day: at.slice(0, 10), meter: `meter-${next()}`, value: 42 }) }],
  ['usage_gauges', { onePerTenant: false, row: (t) => ({ tenant_id: t, meter: `meter-${next()}`, day: at.slice(0, 10), value: 3, level: 2 }) }],
  ['usage_retained', { onePerTenant: false, row: (t) => ({ tenant_id: t, meter: `meter-${next()}`, day: at.slice(0, 10), value: 7, level: null }) }],
  ['tenant_keys', { onePerTenant: true, row: (t) => ({ tenant_id: t, wrapped_key: bytes() }) }],
  [
    'tenant_ledger',
    {
      onePerTenant: false,
      row: (t) => ({ tenant_id: t, seq: next(), ts: at, actor: 'operator:admin', event_type: 'tenant.created', details: '{}', leaf_hash: bytes(), mac: bytes() }),
    },
  ],
  ['tenant_ledger_heads', { onePerTenant: true, row: (t) => ({ tenant_id: t, size: 1, root: bytes(), frontier: bytes(), mac: bytes() }) }],
  ['tenant_ledger_nodes', { onePerTenant: false, row: (t) => ({ tenant_id: t, level: 8, idx: next(), hash: bytes() }) }],
  ['token_index', { onePerTenant: false, row: (t) => ({ token_hash: hash(), tenant_id: t, kind: 'agent' }) }],
  [
    'break_glass_requests',
    {
      onePerTenant: false,
      row: (t) => ({
        tenant_id: t,
        id: randomUUID(),
        operator_id: randomUUID(),
        operator_username: 'oncall',
        reason: `incident ${next()}`,
        scope: '["telemetry:read"]',
        requested_minutes: 60,
        duration_minutes: 60,
        required_approvals: 1,
        state: 'active',
        approvals: '[]',
        created_at: at,
        request_expires_at: at,
        grant_expires_at: '2099-01-01T00:00:00.000Z',
        grant_hash: hash(),
      }),
    },
  ],
  ['break_glass_settings', { onePerTenant: true, row: (t) => ({ tenant_id: t, required_approvals: 2, updated_at: at }) }],
  ['tenant_identity_links', { onePerTenant: false, row: (t) => ({ tenant_id: t, issuer: 'https://idp.example', subject: `subject-${next()}`, user_id: randomUUID(), created_at: at }) }],
  ['tenant_branding', { onePerTenant: true, row: (t) => ({ tenant_id: t, design: '{}', custom_domain: `brand-${t}.example`, updated_at: at }) }],
  [
    'tenant_recoveries',
    {
      onePerTenant: false,
      row: (t) => ({ tenant_id: t, id: randomUUID(), operator_id: randomUUID(), operator_username: 'oncall', reason: `lost ${next()}`, state: 'waiting', created_at: at, available_at: at }),
    },
  ],
]);

function insertSql(table: TenantTable, row: Row): { sql: string; values: Value[] } {
  const columns = Object.keys(row);
  return {
    sql: `INSERT INTO ${table.sql} (${columns.map((column) => escapeIdentifier(column)).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    values: columns.map((column) => row[column] ?? null),
  };
}

function rowFor(table: TenantTable, builder: RowBuilder, tenantId: string): { sql: string; values: Value[] } {
  return insertSql(table, builder.row(tenantId));
}

/**
 * Runs `check` for every tenant table. A table with no row builder, or an unexpected error, is
 * collected rather than thrown, so one bad table does not hide the others: returns the problems.
 */
async function forEveryTable(tables: TenantTable[], check: (table: TenantTable, builder: RowBuilder) => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  for (const table of tables) {
    const builder = BUILDERS.get(table.table);
    if (builder === undefined) {
      problems.push(`${table.name}: no row builder in rls-leak.test.ts (add one)`);
      continue;
    }
    try {
      await check(table, builder);
    } catch (error) {
      problems.push(`${table.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/** Sets the tenant context for the current transaction only, as the storage layer does. */
async function enterTenant(client: Queryable, tenantId: string): Promise<void> {
  await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
}

async function counts(client: Queryable, table: TenantTable, a: string, b: string): Promise<{ total: number; a: number; b: number }> {
  const { rows } = await client.query<{ total: number; a: number; b: number }>(
    `SELECT count(*)::int AS total, (count(*) FILTER (WHERE tenant_id = $1))::int AS a, (count(*) FILTER (WHERE tenant_id = $2))::int AS b FROM ${table.sql}`,
    [a, b],
  );
  return rows[0] ?? { total: -1, a: -1, b: -1 };
}

/** Tenant tables a transaction that declares the provider plane may SELECT across tenants (and nothing more). */
/** Usage for billing is read across tenants too: bh's usage tables (an own schema's counters stay closed). */
const USAGE_READABLE = ['bh.usage_counters', 'bh.usage_gauges', 'bh.usage_retained'];
const PROVIDER_READABLE = ['bh.break_glass_requests', 'bh.tenant_recoveries', ...USAGE_READABLE];

const isRlsViolation = (error: SqlError | null) => error?.code === '42501' && /row-level security/.test(error.message);

describe('row-level security as the app role (SQL layer)', () => {
  const A = randomUUID();
  const B = randomUUID();
  /** A third tenant with no rows: the positive control writes for it. */
  const C = randomUUID();
  let db: TestDatabase;
  let superuser: pg.Pool;
  let app: pg.Pool;
  let tables: TenantTable[] = [];
  /** Rows seeded per table (by schema.table) for A and B. */
  const seeded = new Map<string, { a: number; b: number }>();
  /** A token hash of A and one of B in bh.token_index. */
  const tokenHash = { a: '', b: '' };

  const seededIn = (table: TenantTable) => seeded.get(table.name) ?? { a: -1, b: -1 };
  /** The tenant whose own schema holds `table`, or null for the shared schema bh. */
  const ownerOf = (table: TenantTable): string | null => (table.name.startsWith(`${tenantSchema(A)}.`) ? A : table.name.startsWith(`${tenantSchema(B)}.`) ? B : null);

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_rls_leak');
    superuser = new pg.Pool({ connectionString: db.superuserUrl, max: 2 });
    // DROP DATABASE ... WITH (FORCE) at teardown terminates a connection that is still closing: not an error of the test.
    superuser.on('error', () => undefined);
    app = new pg.Pool({ connectionString: db.url(APP_ROLE), max: 4 });

    for (const [id, slug, model] of [
      [A, 'tenant-a', 'hybrid'],
      [B, 'tenant-b', 'siloed'],
      [C, 'tenant-c', 'pooled'],
    ] as const) {
      await superuser.query(
        `INSERT INTO bh.tenants (id, slug, name, isolation_model, residency, plan, contact_email, state, quotas, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'eu', 'standard', $5, 'active', $6, $7, $7)`,
        [id, slug, `Tenant ${slug}`, model, `ops@${slug}.example`, JSON.stringify({ max_agents: 100, max_users: 50, max_tests: 200, storage_quota_mb: 10_240, api_rate_limit_rpm: 600 }), at],
      );
    }
    // B's silo and A's hybrid telemetry schema, created as the owner (as `migrate` or the server would).
    const owner = new pg.Client({ connectionString: db.url(OWNER_ROLE) });
    await owner.connect();
    try {
      await owner.query("SELECT bh.create_tenant_schema($1, 'siloed')", [B]);
      await owner.query("SELECT bh.create_tenant_schema($1, 'hybrid')", [A]);
    } finally {
      await owner.end();
    }

    tables = await tenantTables(superuser);
    for (const table of tables) {
      const builder = BUILDERS.get(table.table);
      if (builder === undefined) continue; // reported by the first test
      const both = builder.onePerTenant ? { a: 1, b: 1 } : { a: 2, b: 3 };
      // An own schema holds its tenant's rows only (its CHECK refuses any other).
      const owner = ownerOf(table);
      const plan = owner === null ? both : { a: owner === A ? both.a : 0, b: owner === B ? both.b : 0 };
      for (const [tenant, n] of [
        [A, plan.a],
        [B, plan.b],
      ] as const) {
        for (let i = 0; i < n; i++) {
          const row = builder.row(tenant);
          const { sql, values } = insertSql(table, row);
          await superuser.query(sql, values);
          if (table.name === 'bh.token_index' && typeof row.token_hash === 'string') {
            if (tenant === A) tokenHash.a = row.token_hash;
            else tokenHash.b = row.token_hash;
          }
        }
      }
      seeded.set(table.name, plan);
    }
  });

  afterAll(async () => {
    await app.end();
    await superuser.end();
    await db.drop();
  });

  it('finds the tenant tables in pg_catalog, has an INSERT for every one, and seeded both tenants in each', async () => {
    const names = tables.map((table) => table.name);
    const silo = tenantSchema(B);
    const hybrid = tenantSchema(A);
    expect(names).toEqual(
      expect.arrayContaining([
        'bh.agents',
        'bh.tenant_users',
        'bh.probe_tests',
        'bh.tenant_tokens',
        'bh.telemetry_chunks',
        'bh.tenant_keys',
        'bh.tenant_ledger',
        'bh.tenant_ledger_heads',
        'bh.tenant_ledger_nodes',
        'bh.token_index',
        `${silo}.agents`,
        `${silo}.tenant_users`,
        `${silo}.probe_tests`,
        `${silo}.tenant_tokens`,
        `${silo}.telemetry_chunks`,
        `${silo}.telemetry_batches`,
        `${silo}.usage_counters`,
        `${hybrid}.telemetry_chunks`,
        `${hybrid}.telemetry_batches`,
        `${hybrid}.usage_counters`,
        'bh.telemetry_batches',
        'bh.usage_counters',
        'bh.break_glass_requests',
        'bh.break_glass_settings',
        'bh.tenant_branding',
      ]),
    );
    const withoutInsert = tables.filter((table) => !BUILDERS.has(table.table)).map((table) => table.name);
    expect(withoutInsert, 'tenant tables with no row builder in rls-leak.test.ts: add one').toEqual([]);
    expect(tokenHash.a).not.toBe('');
    expect(tokenHash.b).not.toBe('');
    // The superuser sees both tenants' rows: the zeros below are RLS, not missing data.
    for (const table of tables) {
      const seen = await counts(superuser, table, A, B);
      expect.soft(seen, table.name).toEqual({ total: seededIn(table).a + seededIn(table).b, ...seededIn(table) });
    }
  });

  it("with A's context, every tenant table shows A's rows only; B's rows cannot be read, updated or deleted", async () => {
    const problems = await forEveryTable(tables, async (table) => {
      const { a } = seededIn(table);
      await inTransaction(
        app,
        async (client) => {
          await enterTenant(client, A);
          expect.soft(await counts(client, table, A, B), `${table.name}: count(*) with A's context`).toEqual({ total: a, a, b: 0 });
          const direct = await client.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table.sql} WHERE tenant_id = $1`, [B]);
          expect.soft(direct.rows, `${table.name}: SELECT ... WHERE tenant_id = B`).toEqual([]);
          // A user predicate that raises on a B row must never see one: the policy is applied first.
          const probe = await attempt(client, `SELECT count(*)::int AS n FROM ${table.sql} WHERE CASE WHEN tenant_id = $1 THEN 1 / (length(tenant_id::text) - 36) ELSE 1 END = 1`, [B]);
          expect.soft(probe.error, `${table.name}: a leaky WHERE clause saw B's row`).toBeNull();
          const updated = await attempt(client, `UPDATE ${table.sql} SET tenant_id = tenant_id WHERE tenant_id = $1`, [B]);
          expect.soft(updated, `${table.name}: UPDATE ... WHERE tenant_id = B`).toEqual({ error: null, rowCount: 0 });
          const deleted = await attempt(client, `DELETE FROM ${table.sql} WHERE tenant_id = $1`, [B]);
          expect.soft(deleted, `${table.name}: DELETE ... WHERE tenant_id = B`).toEqual({ error: null, rowCount: 0 });
          // Positive control: the same UPDATE does reach A's own rows.
          const own = await attempt(client, `UPDATE ${table.sql} SET tenant_id = tenant_id WHERE tenant_id = $1`, [A]);
          expect.soft(own, `${table.name}: UPDATE ... WHERE tenant_id = A`).toEqual({ error: null, rowCount: a });
        },
        'COMMIT',
      );
    });
    // Committed, and B's rows are all still there.
    for (const table of tables.filter((t) => seeded.has(t.name))) {
      expect.soft((await counts(superuser, table, A, B)).b, `${table.name}: B's rows after A's UPDATE/DELETE`).toBe(seededIn(table).b);
    }
    expect(problems).toEqual([]);
  });

  it("with A's context, no row can be written for B: INSERT and moving A's row to B fail with 42501", async () => {
    const problems = await forEveryTable(tables, async (table, builder) => {
      await inTransaction(app, async (client) => {
        await enterTenant(client, A);
        const { sql, values } = rowFor(table, builder, B);
        const inserted = await attempt(client, sql, values);
        expect.soft(isRlsViolation(inserted.error), `${table.name}: INSERT for B gave ${JSON.stringify(inserted)}`).toBe(true);
        const moved = await attempt(client, `UPDATE ${table.sql} SET tenant_id = $1 WHERE tenant_id = $2`, [B, A]);
        if (seededIn(table).a > 0) {
          expect.soft(isRlsViolation(moved.error), `${table.name}: UPDATE moving A's row to B gave ${JSON.stringify(moved)}`).toBe(true);
        } else {
          expect.soft(moved, `${table.name}: UPDATE moving A's rows to B (it holds none)`).toEqual({ error: null, rowCount: 0 });
        }
      });
    });
    expect(problems).toEqual([]);
  });

  it('positive control: the app role can insert a row for the tenant in context (so the 42501s are RLS, not grants or bad rows)', async () => {
    const problems = await forEveryTable(tables, async (table, builder) => {
      await inTransaction(app, async (client) => {
        // In the shared schema for a tenant with no rows yet; in an own schema, for its tenant.
        const tenant = ownerOf(table) ?? C;
        await enterTenant(client, tenant);
        if (builder.onePerTenant && tenant !== C) await client.query(`DELETE FROM ${table.sql} WHERE tenant_id = $1`, [tenant]);
        const { sql, values } = rowFor(table, builder, tenant);
        const inserted = await attempt(client, sql, values);
        expect.soft(inserted, `${table.name}: INSERT for the tenant in context`).toEqual({ error: null, rowCount: 1 });
      });
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['never set', null],
    ["set to ''", ''],
  ])('with no tenant context (%s), no tenant table shows a row and no row can be inserted', async (_label, context) => {
    const problems = await forEveryTable(tables, async (table, builder) => {
      await inTransaction(app, async (client) => {
        if (context !== null) await client.query("SELECT set_config('app.tenant_id', $1, true)", [context]);
        expect.soft(await counts(client, table, A, B), `${table.name}: count(*) with no context`).toEqual({ total: 0, a: 0, b: 0 });
        const direct = await client.query(`SELECT tenant_id FROM ${table.sql} WHERE tenant_id = $1 OR tenant_id = $2`, [A, B]);
        expect.soft(direct.rowCount, `${table.name}: SELECT ... WHERE tenant_id IN (A, B)`).toBe(0);
        const deleted = await attempt(client, `DELETE FROM ${table.sql}`);
        expect.soft(deleted, `${table.name}: DELETE with no context`).toEqual({ error: null, rowCount: 0 });
        const { sql, values } = rowFor(table, builder, A);
        const inserted = await attempt(client, sql, values);
        expect.soft(isRlsViolation(inserted.error), `${table.name}: INSERT for A with no context gave ${JSON.stringify(inserted)}`).toBe(true);
      });
    });
    expect(problems).toEqual([]);
  });

  it("each own schema is bound to its tenant: with A's context, A's rows cannot be written into B's silo", async () => {
    const own = tables.filter((table) => ownerOf(table) === B);
    expect(own.length).toBeGreaterThan(5);
    const problems = await forEveryTable(own, async (table, builder) => {
      await inTransaction(app, async (client) => {
        await enterTenant(client, A);
        // RLS alone admits it (tenant_id is the context's); the schema's own CHECK refuses it.
        const { sql, values } = rowFor(table, builder, A);
        const inserted = await attempt(client, sql, values);
        expect.soft(inserted.error?.code, `${table.name}: INSERT of A's row into B's schema gave ${JSON.stringify(inserted)}`).toBe('23514');
        const dropped = await attempt(client, `ALTER TABLE ${table.sql} DROP CONSTRAINT bound_to_tenant`);
        expect.soft(dropped.error?.code, `${table.name}: DROP CONSTRAINT by the app role`).toBe('42501');
      });
    });
    expect(problems).toEqual([]);
    // A's hybrid schema is bound to A the same way.
    const hybrid = tables.filter((table) => ownerOf(table) === A);
    expect(hybrid.length).toBeGreaterThan(0);
    for (const table of hybrid) {
      const builder = BUILDERS.get(table.table);
      if (builder === undefined) continue;
      await inTransaction(app, async (client) => {
        await enterTenant(client, B);
        const { sql, values } = rowFor(table, builder, B);
        expect.soft((await attempt(client, sql, values)).error?.code, table.name).toBe('23514');
      });
    }
  });

  it('a transaction-local context does not survive into the next transaction on the same pooled connection', async () => {
    const pool = new pg.Pool({ connectionString: db.url(APP_ROLE), max: 1 });
    try {
      const pidOf = async (client: Queryable) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const contextOf = async (client: Queryable) => (await client.query<{ ctx: string | null }>("SELECT current_setting('app.tenant_id', true) AS ctx")).rows[0]?.ctx;
      const visible = async (client: Queryable) => {
        let n = 0;
        for (const table of tables) n += (await counts(client, table, A, B)).total;
        return n;
      };

      const client = await pool.connect();
      let pid: number | undefined;
      try {
        pid = await pidOf(client);
        for (const end of ['COMMIT', 'ROLLBACK'] as const) {
          await client.query('BEGIN');
          await enterTenant(client, A);
          expect(await visible(client)).toBeGreaterThan(0);
          await client.query(end);

          await client.query('BEGIN');
          expect([null, '']).toContain(await contextOf(client));
          expect(await visible(client), `after ${end}`).toBe(0);
          await client.query('COMMIT');
        }
        // Outside a transaction block, each statement is its own transaction.
        await client.query("SELECT set_config('app.tenant_id', $1, true)", [A]);
        expect([null, '']).toContain(await contextOf(client));
        expect(await visible(client)).toBe(0);
      } finally {
        client.release();
      }
      // The pool hands the same connection out again: still no context.
      const again = await pool.connect();
      try {
        expect(await pidOf(again)).toBe(pid);
        expect([null, '']).toContain(await contextOf(again));
        expect(await visible(again)).toBe(0);
      } finally {
        again.release();
      }
    } finally {
      await pool.end();
    }
  });

  it("bh.token_index: a token's row is visible only to a transaction that holds its hash", async () => {
    const lookup = (client: Queryable, tokenHashValue: string) => client.query<{ tenant_id: string }>('SELECT tenant_id FROM bh.token_index WHERE token_hash = $1', [tokenHashValue]);
    await inTransaction(app, async (client) => {
      expect((await lookup(client, tokenHash.a)).rows).toEqual([]);
      await client.query("SELECT set_config('app.token_hash', $1, true)", [tokenHash.a]);
      expect((await lookup(client, tokenHash.a)).rows).toEqual([{ tenant_id: A }]);
      expect((await lookup(client, tokenHash.b)).rows).toEqual([]);
      expect((await client.query<{ tenant_id: string }>('SELECT tenant_id FROM bh.token_index')).rows).toEqual([{ tenant_id: A }]);
      expect((await client.query('SELECT 1 FROM bh.token_index WHERE tenant_id = $1', [B])).rowCount).toBe(0);
      // Holding a hash is no tenant context: nothing can be inserted with it.
      const builder = BUILDERS.get('token_index');
      expect(builder).toBeDefined();
      if (builder === undefined) return;
      const { sql, values } = rowFor(tenantTable('bh', 'token_index'), builder, A);
      expect(isRlsViolation((await attempt(client, sql, values)).error)).toBe(true);
    });
    // The hash does not outlive its transaction either.
    await inTransaction(app, async (client) => {
      expect((await lookup(client, tokenHash.a)).rows).toEqual([]);
    });
  });

  // Regression guard for a hole found here: a FOR ALL policy with `OR token_hash = app.token_hash` in
  // its USING let a transaction holding B's hash DELETE B's routing row or UPDATE it to tenant A
  // (USING also decides which rows UPDATE and DELETE reach). The hash now only grants a FOR SELECT policy.
  it("holding B's token hash does not let a transaction delete B's token_index row or move it to tenant A", async () => {
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.token_hash', $1, true)", [tokenHash.b]);
      const deleted = await attempt(client, 'DELETE FROM bh.token_index WHERE token_hash = $1', [tokenHash.b]);
      expect.soft(deleted.rowCount ?? 0, 'DELETE of B row with only its hash').toBe(0);
    });
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.token_hash', $1, true)", [tokenHash.b]);
      await enterTenant(client, A);
      const moved = await attempt(client, 'UPDATE bh.token_index SET tenant_id = $1 WHERE token_hash = $2', [A, tokenHash.b]);
      expect.soft(moved.rowCount ?? 0, "UPDATE moving B's row to A with A's context and B's hash").toBe(0);
    });
  });

  // A sign-in wall resolves a brand by its custom domain before any tenant is known: naming the
  // domain shows that one row, to SELECT only, and nothing else of any tenant.
  it("bh.tenant_branding: a brand is visible without a tenant context only to a transaction naming its custom domain, and only to read", async () => {
    const lookup = (client: Queryable, domain: string) => client.query<{ tenant_id: string }>('SELECT tenant_id FROM bh.tenant_branding WHERE custom_domain = $1', [domain]);
    const domainOf = (tenant: string) => `brand-${tenant}.example`;
    await inTransaction(app, async (client) => {
      expect((await lookup(client, domainOf(A))).rows).toEqual([]);
      await client.query("SELECT set_config('app.brand_domain', $1, true)", [domainOf(A)]);
      expect((await lookup(client, domainOf(A))).rows).toEqual([{ tenant_id: A }]);
      expect((await lookup(client, domainOf(B))).rows).toEqual([]);
      expect((await client.query<{ tenant_id: string }>('SELECT tenant_id FROM bh.tenant_branding')).rows).toEqual([{ tenant_id: A }]);
      // Naming a domain changes nothing: no update, no delete, no insert.
      expect(await attempt(client, 'UPDATE bh.tenant_branding SET design = design WHERE custom_domain = $1', [domainOf(A)])).toEqual({ error: null, rowCount: 0 });
      expect(await attempt(client, 'DELETE FROM bh.tenant_branding WHERE custom_domain = $1', [domainOf(A)])).toEqual({ error: null, rowCount: 0 });
      const inserted = await attempt(client, 'INSERT INTO bh.tenant_branding (tenant_id, design, custom_domain, updated_at) VALUES ($1, $2, $3, $4)', [C, '{}', 'brand-c.example', at]);
      expect(isRlsViolation(inserted.error)).toBe(true);
    });
    // In B's context with A's domain named, A's row can be read but not taken over.
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.brand_domain', $1, true)", [domainOf(A)]);
      await enterTenant(client, B);
      expect(await attempt(client, 'UPDATE bh.tenant_branding SET tenant_id = $1 WHERE custom_domain = $2', [B, domainOf(A)])).toEqual({ error: null, rowCount: 0 });
    });
    // The name does not outlive its transaction.
    await inTransaction(app, async (client) => {
      expect((await lookup(client, domainOf(A))).rows).toEqual([]);
    });
  });

  // Operators list break-glass requests across tenants: a transaction that declares the provider
  // plane may SELECT them (and nothing else), and still cannot change or write any tenant's row.
  it("bh.break_glass_requests: the provider plane reads every tenant's requests, and can change none", async () => {
    const requests = tenantTable('bh', 'break_glass_requests');
    const seededRequests = seededIn(requests);
    expect(seededRequests.a).toBeGreaterThan(0);
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.plane', 'provider', true)");
      expect(await counts(client, requests, A, B)).toEqual({ total: seededRequests.a + seededRequests.b, a: seededRequests.a, b: seededRequests.b });
      // No other tenant table opens to the provider plane (recovery requests, alike, have their own test).
      for (const table of tables.filter((candidate) => !PROVIDER_READABLE.includes(candidate.name))) {
        expect.soft((await counts(client, table, A, B)).total, `${table.name} with app.plane = provider`).toBe(0);
      }
      expect.soft(await attempt(client, `UPDATE ${requests.sql} SET state = 'revoked' WHERE tenant_id = $1`, [B]), 'UPDATE on the provider plane').toEqual({ error: null, rowCount: 0 });
      expect.soft(await attempt(client, `DELETE FROM ${requests.sql} WHERE tenant_id = $1`, [A]), 'DELETE on the provider plane').toEqual({ error: null, rowCount: 0 });
      const builder = BUILDERS.get('break_glass_requests');
      if (builder === undefined) throw new Error('no builder');
      const { sql, values } = rowFor(requests, builder, A);
      expect(isRlsViolation((await attempt(client, sql, values)).error), 'INSERT on the provider plane').toBe(true);
      // With A's context as well, A's rows can change but B's still cannot.
      await enterTenant(client, A);
      expect(await attempt(client, `UPDATE ${requests.sql} SET reason = reason WHERE tenant_id = $1`, [B])).toEqual({ error: null, rowCount: 0 });
      expect(await attempt(client, `UPDATE ${requests.sql} SET reason = reason WHERE tenant_id = $1`, [A])).toEqual({ error: null, rowCount: seededRequests.a });
    });
    // Any other value of app.plane opens nothing.
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.plane', 'tenant', true)");
      expect((await counts(client, requests, A, B)).total).toBe(0);
    });
  });

  it("bh.tenant_recoveries: the provider plane reads every tenant's recovery requests, and can change none", async () => {
    const recoveries = tenantTable('bh', 'tenant_recoveries');
    const seededRecoveries = seededIn(recoveries);
    expect(seededRecoveries.b).toBeGreaterThan(0);
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.plane', 'provider', true)");
      expect(await counts(client, recoveries, A, B)).toEqual({ total: seededRecoveries.a + seededRecoveries.b, a: seededRecoveries.a, b: seededRecoveries.b });
      expect.soft(await attempt(client, `UPDATE ${recoveries.sql} SET state = 'completed' WHERE tenant_id = $1`, [B]), 'UPDATE on the provider plane').toEqual({ error: null, rowCount: 0 });
      expect.soft(await attempt(client, `DELETE FROM ${recoveries.sql} WHERE tenant_id = $1`, [A]), 'DELETE on the provider plane').toEqual({ error: null, rowCount: 0 });
      const builder = BUILDERS.get('tenant_recoveries');
      if (builder === undefined) throw new Error('no builder');
      const { sql, values } = rowFor(recoveries, builder, A);
      expect(isRlsViolation((await attempt(client, sql, values)).error), 'INSERT on the provider plane').toBe(true);
    });
  });

  it("bh's usage tables: the provider plane reads every tenant's usage (the billing export), and can change none", async () => {
    await inTransaction(app, async (client) => {
      await client.query("SELECT set_config('app.plane', 'provider', true)");
      for (const name of USAGE_READABLE) {
        const [, tableName = ''] = name.split('.');
        const table = tenantTable('bh', tableName);
        const seeded = seededIn(table);
        expect(seeded.a, name).toBeGreaterThan(0);
        expect(await counts(client, table, A, B), name).toEqual({ total: seeded.a + seeded.b, a: seeded.a, b: seeded.b });
        expect.soft(await attempt(client, `UPDATE ${table.sql} SET value = value + 1 WHERE tenant_id = $1`, [B]), `UPDATE ${name} on the provider plane`).toEqual({ error: null, rowCount: 0 });
        expect.soft(await attempt(client, `DELETE FROM ${table.sql} WHERE tenant_id = $1`, [A]), `DELETE ${name} on the provider plane`).toEqual({ error: null, rowCount: 0 });
        const builder = BUILDERS.get(tableName);
        if (builder === undefined) throw new Error(`no builder for ${tableName}`);
        const { sql, values } = rowFor(table, builder, A);
        expect(isRlsViolation((await attempt(client, sql, values)).error), `INSERT ${name} on the provider plane`).toBe(true);
      }
    });
  });

  it('planner statistics of tenant tables are hidden from the app role (pg_stats)', async () => {
    await superuser.query('ANALYZE bh.agents');
    const asSuperuser = await superuser.query("SELECT 1 FROM pg_catalog.pg_stats WHERE schemaname = 'bh' AND tablename = 'agents' AND attname = 'tenant_id'");
    expect(asSuperuser.rowCount).toBe(1);
    const asApp = await app.query("SELECT 1 FROM pg_catalog.pg_stats WHERE schemaname = 'bh' AND tablename = 'agents'");
    expect(asApp.rowCount).toBe(0);
  });

  it('the app role cannot switch row-level security off', async () => {
    const mustBeOwner = (error: SqlError | null) => error?.code === '42501' && /must be owner/.test(error.message);
    await inTransaction(app, async (client) => {
      expect(mustBeOwner((await attempt(client, 'ALTER TABLE bh.agents DISABLE ROW LEVEL SECURITY')).error)).toBe(true);
      expect(mustBeOwner((await attempt(client, 'ALTER TABLE bh.agents NO FORCE ROW LEVEL SECURITY')).error)).toBe(true);
      for (const table of tables) {
        for (const ddl of ['DISABLE ROW LEVEL SECURITY', 'NO FORCE ROW LEVEL SECURITY']) {
          const altered = await attempt(client, `ALTER TABLE ${table.sql} ${ddl}`);
          expect.soft(mustBeOwner(altered.error), `${table.name}: ALTER TABLE ${ddl} gave ${JSON.stringify(altered)}`).toBe(true);
        }
        const dropped = await attempt(client, `DROP POLICY tenant_isolation ON ${table.sql}`);
        expect.soft(mustBeOwner(dropped.error), `${table.name}: DROP POLICY gave ${JSON.stringify(dropped)}`).toBe(true);
      }
      const setRole = await attempt(client, `SET LOCAL ROLE ${escapeIdentifier(OWNER_ROLE)}`);
      expect(setRole.error?.code).toBe('42501');
    });
    // row_security = off makes a query that RLS would filter an error, never a leak.
    const problems = await forEveryTable(tables, async (table) => {
      await inTransaction(app, async (client) => {
        await client.query('SET LOCAL row_security = off');
        await enterTenant(client, A);
        const read = await attempt(client, `SELECT tenant_id FROM ${table.sql} WHERE tenant_id = $1`, [B]);
        expect.soft(read.error?.code, `${table.name}: SELECT with row_security = off gave ${JSON.stringify(read)}`).toBe('42501');
        expect.soft(read.error?.message ?? '', table.name).toMatch(/row-level security/);
      });
    });
    expect(problems).toEqual([]);
  });
});
