import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE, OWNER_ROLE } from '../../../test/helpers/postgres-roles';
import { StartupError } from '../../errors';
import { openStorageForInit } from '../open-storage';
import { tenantSchema } from './postgres-storage';
import { TENANT_PREDICATE } from './schema';
import { attempt, createTestDatabase, TENANT_TABLES_SQL, type Queryable, type TestDatabase } from '../../../test/helpers/postgres-test-database';

/**
 * The schema's row-level-security invariants, checked over pg_catalog for every table with a
 * `tenant_id` in bh and in every tenant schema bh_t_% (found, not listed): RLS enabled and forced, a
 * policy on app.tenant_id in USING and WITH CHECK, an index led by tenant_id. And the app role the
 * server connects as can neither bypass RLS nor own anything that would exempt it.
 */

const RULES = {
  enabled: 'row level security not enabled (relrowsecurity)',
  forced: 'row level security not forced for the owner (relforcerowsecurity)',
  policy: 'no policy referencing app.tenant_id in both USING and WITH CHECK',
  index: 'no index whose first key column is tenant_id',
} as const;

interface CheckResult {
  /** Every table checked, as schema.table. */
  checked: string[];
  /** One line per broken rule, as `schema.table: rule`. */
  violations: string[];
}

async function checkTenantTables(client: Queryable): Promise<CheckResult> {
  const { rows } = await client.query<{ schema: string; table: string; enabled: boolean; forced: boolean; policy: boolean; index: boolean }>(
    `SELECT t.schema, t."table", c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
       EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = t.oid
                 AND pg_catalog.pg_get_expr(p.polqual, p.polrelid) LIKE '%app.tenant_id%'
                 AND pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.tenant_id%') AS policy,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid AND i.indkey[0] = t.tenant_attnum) AS index
     FROM (${TENANT_TABLES_SQL}) t JOIN pg_catalog.pg_class c ON c.oid = t.oid
     ORDER BY t.schema, t."table"`,
  );
  const violations: string[] = [];
  for (const row of rows) {
    for (const rule of ['enabled', 'forced', 'policy', 'index'] as const) {
      if (!row[rule]) violations.push(`${row.schema}.${row.table}: ${RULES[rule]}`);
    }
  }
  return { checked: rows.map((row) => `${row.schema}.${row.table}`), violations };
}

/** Objects owned by the role `roleOid` in the current database: tables (any relkind), schemas, functions. */
async function ownedBy(client: Queryable, roleOid: number): Promise<string[]> {
  const { rows } = await client.query<{ object: string }>(
    `SELECT 'relation ' || n.nspname || '.' || c.relname AS object FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = $1
     UNION ALL SELECT 'schema ' || n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspowner = $1
     UNION ALL SELECT 'function ' || p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc p WHERE p.proowner = $1
     ORDER BY 1`,
    [roleOid],
  );
  return rows.map((row) => row.object);
}

describe('RLS schema check over pg_catalog', () => {
  let db: TestDatabase;
  let owner: pg.Client;
  const siloed = randomUUID();
  const hybrid = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_rls_schema');
    owner = new pg.Client({ connectionString: db.url(OWNER_ROLE) });
    await owner.connect();
    await owner.query("SELECT bh.create_tenant_schema($1, 'siloed')", [siloed]);
    await owner.query("SELECT bh.create_tenant_schema($1, 'hybrid')", [hybrid]);
  });

  afterAll(async () => {
    await owner.end();
    await db.drop();
  });

  it('every tenant table (bh and every tenant schema) has RLS enabled and forced, a tenant_id policy and a tenant-led index', async () => {
    const { checked, violations } = await checkTenantTables(owner);
    // All violations at once, so a failure names every bad table.
    expect(violations).toEqual([]);

    const silo = tenantSchema(siloed);
    const own = tenantSchema(hybrid);
    expect(checked.length).toBeGreaterThan(0);
    expect(checked).toEqual(
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
        `${own}.telemetry_chunks`,
        'bh.telemetry_batches',
        'bh.usage_counters',
        'bh.break_glass_requests',
        'bh.break_glass_settings',
      ]),
    );
    // A hybrid tenant's own schema holds telemetry only (results, batches, usage meters).
    expect(checked.filter((name) => name.startsWith(`${own}.`))).toEqual([`${own}.telemetry_batches`, `${own}.telemetry_chunks`, `${own}.usage_counters`]);
  });

  it('negative control: the check reports a tenant table that breaks any one rule', async () => {
    const probes = ['rls_probe', 'rls_probe_noforce', 'rls_probe_policy', 'rls_probe_index'];
    try {
      await owner.query('CREATE TABLE bh.rls_probe (tenant_id uuid)');
      // Each of the others breaks exactly one rule.
      await owner.query(`CREATE TABLE bh.rls_probe_noforce (tenant_id uuid);
        ALTER TABLE bh.rls_probe_noforce ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON bh.rls_probe_noforce USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
        CREATE INDEX ON bh.rls_probe_noforce (tenant_id)`);
      await owner.query(`CREATE TABLE bh.rls_probe_policy (tenant_id uuid);
        ALTER TABLE bh.rls_probe_policy ENABLE ROW LEVEL SECURITY;
        ALTER TABLE bh.rls_probe_policy FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON bh.rls_probe_policy USING (${TENANT_PREDICATE}) WITH CHECK (true);
        CREATE INDEX ON bh.rls_probe_policy (tenant_id)`);
      await owner.query(`CREATE TABLE bh.rls_probe_index (id uuid, tenant_id uuid);
        ALTER TABLE bh.rls_probe_index ENABLE ROW LEVEL SECURITY;
        ALTER TABLE bh.rls_probe_index FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON bh.rls_probe_index USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
        CREATE INDEX ON bh.rls_probe_index (id, tenant_id)`);

      const { checked, violations } = await checkTenantTables(owner);
      expect(checked).toEqual(expect.arrayContaining(probes.map((probe) => `bh.${probe}`)));
      const of = (probe: string) => violations.filter((line) => line.startsWith(`bh.${probe}: `));
      expect(of('rls_probe')).toEqual([`bh.rls_probe: ${RULES.enabled}`, `bh.rls_probe: ${RULES.forced}`, `bh.rls_probe: ${RULES.policy}`, `bh.rls_probe: ${RULES.index}`]);
      expect(of('rls_probe_noforce')).toEqual([`bh.rls_probe_noforce: ${RULES.forced}`]);
      expect(of('rls_probe_policy')).toEqual([`bh.rls_probe_policy: ${RULES.policy}`]);
      expect(of('rls_probe_index')).toEqual([`bh.rls_probe_index: ${RULES.index}`]);
    } finally {
      await owner.query(`DROP TABLE IF EXISTS ${probes.map((probe) => `bh.${probe}`).join(', ')}`);
    }
    expect((await checkTenantTables(owner)).violations).toEqual([]);
  });
});

describe('the app role the server connects as', () => {
  let db: TestDatabase;
  let superuser: pg.Client;
  let app: pg.Client;
  let appOid = 0;

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_rls_role');
    superuser = new pg.Client({ connectionString: db.superuserUrl });
    await superuser.connect();
    app = new pg.Client({ connectionString: db.url(APP_ROLE) });
    await app.connect();
    // A tenant schema created the way the server creates one: the app role calls the owner's function.
    await app.query("SELECT bh.create_tenant_schema($1, 'siloed')", [randomUUID()]);
    const role = (await superuser.query<{ oid: number }>('SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1', [APP_ROLE])).rows[0];
    appOid = role?.oid ?? 0;
  });

  afterAll(async () => {
    await app.end();
    await superuser.end();
    await db.drop();
  });

  it('is no superuser, has no BYPASSRLS or CREATEROLE, and is not a member of the owner role', async () => {
    const { rows } = await superuser.query<{ rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; member_of_owner: boolean; owns_db: boolean }>(
      `SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole,
         pg_catalog.pg_has_role(r.oid, $2, 'MEMBER') AS member_of_owner,
         EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datname = current_database() AND d.datdba = r.oid) AS owns_db
       FROM pg_catalog.pg_roles r WHERE r.rolname = $1`,
      [APP_ROLE, OWNER_ROLE],
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcreaterole: false, member_of_owner: false, owns_db: false }]);
    expect(appOid).toBeGreaterThan(0);
  });

  it('owns no relation, schema or function in the database (so RLS binds it even without FORCE)', async () => {
    expect(await ownedBy(superuser, appOid)).toEqual([]);
  });

  it('negative control: the ownership check sees an object the app role owns', async () => {
    await app.query('BEGIN');
    try {
      await app.query('CREATE TEMP TABLE rls_owned_probe (tenant_id uuid)');
      expect((await ownedBy(app, appOid)).some((object) => object.startsWith('relation ') && object.endsWith('.rls_owned_probe'))).toBe(true);
    } finally {
      await app.query('ROLLBACK');
    }
    expect(await ownedBy(superuser, appOid)).toEqual([]);
  });

  // Regression guard for a hole found here: with `SET search_path = pg_catalog, bh` on the SECURITY
  // DEFINER function, pg_temp was searched FIRST, so a temp table named pg_attribute could hide the
  // catalog from bh.create_tenant_tables and leave a new tenant schema without RLS. The functions now
  // list pg_temp last and qualify pg_catalog.
  it('the app role cannot make bh.create_tenant_schema create tenant tables without RLS by shadowing pg_catalog with a temp table', async () => {
    const tenant = randomUUID();
    await app.query('BEGIN');
    try {
      await app.query('CREATE TEMP TABLE pg_attribute (attrelid oid, attname name)');
      await app.query('GRANT SELECT ON pg_temp.pg_attribute TO PUBLIC');
      const created = await attempt(app, "SELECT bh.create_tenant_schema($1, 'siloed')", [tenant]);
      if (created.error === null) {
        // The function may refuse; if it does create the schema, the schema must pass the check.
        await app.query('DROP TABLE pg_temp.pg_attribute');
        const { checked, violations } = await checkTenantTables(app);
        expect(checked).toContain(`${tenantSchema(tenant)}.agents`);
        expect(violations.filter((line) => line.startsWith(`${tenantSchema(tenant)}.`))).toEqual([]);
      }
    } finally {
      await app.query('ROLLBACK');
    }
  });
});

describe('serve and init refuse a role that escapes row-level security', () => {
  let db: TestDatabase;
  let superuser: pg.Client;
  const bypassRole = `bh_bypass_${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-role-'));

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_rls_refuse');
    superuser = new pg.Client({ connectionString: db.superuserUrl });
    await superuser.connect();
    // The app role's grants, plus BYPASSRLS: the mistake of a hurried database administrator.
    await superuser.query(`CREATE ROLE ${bypassRole} LOGIN BYPASSRLS IN ROLE ${APP_ROLE}`);
  });

  afterAll(async () => {
    await superuser.query(`DROP ROLE IF EXISTS ${bypassRole}`).catch(() => undefined);
    await superuser.end();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = (url: string) => openStorageForInit({ engine: 'postgres', url }, dataDir, randomBytes(32));

  it('opens as the app role', async () => {
    const { storage } = await open(db.url(APP_ROLE));
    await storage.close();
  });

  it.each([
    ['the owner of the tables', () => db.url(OWNER_ROLE), /owns the tables/],
    ['a superuser', () => db.superuserUrl, /is a superuser/],
    ['a BYPASSRLS role', () => db.url(bypassRole), /has BYPASSRLS/],
  ])('refuses %s with database_role_unsafe, naming why and never the URL', async (_label, url, why) => {
    const error = await open(url()).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('database_role_unsafe');
    expect((error as StartupError).message).toMatch(why);
    expect((error as StartupError).message).not.toMatch(/postgres(ql)?:\/\//);
  });
});
