import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { inject } from 'vitest';
import { openStorage, type EngineConfig } from '../../control-plane/storage/open-storage';
import { tenantSchema } from '../../control-plane/storage/postgres/postgres-storage';
import { BUILD_LEDGER_NODES } from '../../control-plane/storage/postgres/schema';
import { buildMissingLedgerNodes } from '../../control-plane/storage/sqlite/sqlite-ledger';
import type { Storage } from '../../control-plane/storage/types';
import { findPostgresBin } from './postgres-cluster';
import { APP_ROLE, OWNER_ROLE, TEMPLATE_DB, withDatabase } from './postgres-roles';

/**
 * The engine the provider-plane suite runs on: SQLite by default, PostgreSQL in the `postgres`
 * vitest project (BULKHEAD_TEST_ENGINE=postgres). The same test files run on both; engine-specific
 * inspection (files vs schemas, raw bytes vs pg_dump) lives here, behind one interface.
 */
export const testEngine: 'sqlite' | 'postgres' = process.env.BULKHEAD_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';


const run = promisify(execFile);

export interface EngineFixture {
  config: EngineConfig;
  /** Whether a siloed or hybrid tenant's own store exists. */
  ownStoreExists(tenantId: string): Promise<boolean>;
  /** The own stores that exist (silo dirs or tenant schemas). */
  ownStores(): Promise<string[]>;
  /** Tables of a tenant's own store, each with whether it has a tenant_id column. */
  ownStoreTables(tenantId: string): Promise<{ table: string; hasTenantId: boolean }[]>;
  /** The wrapped data key row of a tenant, read around the app (file or superuser), or null. */
  wrappedKey(tenantId: string): Promise<Buffer | null>;
  /** Token rows of a tenant in the shared store and in its own store. */
  tokenRows(tenantId: string): Promise<{ shared: number; own: number }>;
  /** Everything the engine stores, as bytes: for "never stored in plaintext" checks. */
  rawContents(): Promise<Buffer[]>;
  openStorage(deploymentKey: Buffer): Promise<Storage>;
  /** Deletes a ledger's entries and head around the app (file or superuser): the first step of rewriting its history. */
  eraseLedger(ledgerId: string): Promise<void>;
  /** Deletes every stored ledger node around the app: a data dir written before nodes were stored. */
  forgetLedgerNodes(): Promise<void>;
  /** What start-up (SQLite) or the migration (PostgreSQL, as the owner) does for ledgers without nodes. */
  buildLedgerNodes(): Promise<void>;
  drop(): Promise<void>;
}

/** URL of `database` on the shared test cluster as `role` (the test cluster trusts loopback). */
export function clusterUrl(role: string, database: string): string {
  return withDatabase(inject('postgresUrl'), role, database);
}

export async function createEngineFixture(dataDir: string): Promise<EngineFixture> {
  return testEngine === 'postgres' ? postgresFixture(dataDir) : Promise.resolve(sqliteFixture(dataDir));
}

function sqliteFixture(dataDir: string): EngineFixture {
  const tenantsDir = join(dataDir, 'tenants');
  const withDb = <T>(file: string, fn: (db: Database.Database) => T): T => {
    const db = new Database(file, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const writeControl = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(join(dataDir, 'control-plane.db'));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const ownFile = (tenantId: string) => ['tenant.db', 'telemetry.db'].map((name) => join(tenantsDir, tenantId, name)).find((file) => existsSync(file));
  return {
    config: { engine: 'sqlite' },
    ownStoreExists: (tenantId) => Promise.resolve(existsSync(join(tenantsDir, tenantId))),
    ownStores: () => Promise.resolve(existsSync(tenantsDir) ? readdirSync(tenantsDir) : []),
    ownStoreTables: (tenantId) => {
      const file = ownFile(tenantId);
      if (file === undefined) return Promise.resolve([]);
      return Promise.resolve(
        withDb(file, (db) =>
          (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'").pluck().all() as string[]).map((table) => ({
            table,
            hasTenantId: (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]).includes('tenant_id'),
          })),
        ),
      );
    },
    wrappedKey: (tenantId) =>
      Promise.resolve(withDb(join(dataDir, 'control-plane.db'), (db) => (db.prepare('SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ?').pluck().get(tenantId) as Buffer | undefined) ?? null)),
    tokenRows: (tenantId) => {
      const count = (file: string) => withDb(file, (db) => db.prepare('SELECT COUNT(*) FROM tenant_tokens WHERE tenant_id = ?').pluck().get(tenantId) as number);
      const own = join(tenantsDir, tenantId, 'tenant.db');
      return Promise.resolve({ shared: count(join(dataDir, 'control-plane.db')), own: existsSync(own) ? count(own) : 0 });
    },
    rawContents: () =>
      Promise.resolve(
        readdirSync(dataDir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
      ),
    openStorage: (deploymentKey) => openStorage({ engine: 'sqlite' }, dataDir, deploymentKey),
    eraseLedger: (ledgerId) => {
      const db = new Database(join(dataDir, 'control-plane.db'));
      try {
        db.prepare('DELETE FROM ledger_entries WHERE ledger_id = ?').run(ledgerId);
        db.prepare('DELETE FROM ledger_heads WHERE ledger_id = ?').run(ledgerId);
        db.prepare('DELETE FROM ledger_nodes WHERE ledger_id = ?').run(ledgerId);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    forgetLedgerNodes: () => {
      writeControl((db) => db.prepare('DELETE FROM ledger_nodes').run());
      return Promise.resolve();
    },
    buildLedgerNodes: () => {
      writeControl((db) => buildMissingLedgerNodes(db));
      return Promise.resolve();
    },
    drop: () => Promise.resolve(),
  };
}

async function postgresFixture(dataDir: string): Promise<EngineFixture> {
  const database = `bh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE_DB} OWNER ${OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  const superuser = new pg.Pool({ connectionString: clusterUrl('postgres', database), max: 2 });
  // DROP DATABASE ... WITH (FORCE) at teardown terminates a connection that is still closing: not an error of the test.
  superuser.on('error', () => undefined);
  const q = async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = []) => (await superuser.query<R>(sql, values)).rows;
  return {
    config: { engine: 'postgres', url: clusterUrl(APP_ROLE, database) },
    ownStoreExists: async (tenantId) => (await q('SELECT 1 FROM pg_namespace WHERE nspname = $1', [tenantSchema(tenantId)])).length === 1,
    ownStores: async () => (await q<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bh\\_t\\_%'")).map((row) => row.nspname),
    ownStoreTables: async (tenantId) =>
      (
        await q<{ table_name: string; has: boolean }>(
          `SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'tenant_id') AS has
           FROM information_schema.tables t WHERE t.table_schema = $1`,
          [tenantSchema(tenantId)],
        )
      ).map((row) => ({ table: row.table_name, hasTenantId: row.has })),
    wrappedKey: async (tenantId) => (await q<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM bh.tenant_keys WHERE tenant_id = $1', [tenantId]))[0]?.wrapped_key ?? null,
    tokenRows: async (tenantId) => {
      const shared = Number((await q<{ n: string }>('SELECT COUNT(*) AS n FROM bh.tenant_tokens WHERE tenant_id = $1', [tenantId]))[0]?.n ?? 0);
      const schema = tenantSchema(tenantId);
      const exists = (await q('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'tenant_tokens'])).length === 1;
      const own = exists ? Number((await q<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.tenant_tokens WHERE tenant_id = $1`, [tenantId]))[0]?.n ?? 0) : 0;
      return { shared, own };
    },
    rawContents: async () => {
      const bin = findPostgresBin();
      if (bin === null) throw new Error('pg_dump not found');
      const { stdout } = await run(join(bin, 'pg_dump'), ['--data-only', '--dbname', clusterUrl('postgres', database)], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
      // The database dump plus the data dir's own files (TLS, license, marker).
      return [stdout, ...(await sqliteFixture(dataDir).rawContents())];
    },
    openStorage: (deploymentKey) => openStorage({ engine: 'postgres', url: clusterUrl(APP_ROLE, database) }, dataDir, deploymentKey),
    async eraseLedger(ledgerId) {
      if (ledgerId === 'provider') {
        await q('DELETE FROM bh.provider_ledger');
        await q('DELETE FROM bh.provider_ledger_head');
        await q('DELETE FROM bh.provider_ledger_nodes');
      } else {
        await q('DELETE FROM bh.tenant_ledger WHERE tenant_id = $1', [ledgerId]);
        await q('DELETE FROM bh.tenant_ledger_heads WHERE tenant_id = $1', [ledgerId]);
        await q('DELETE FROM bh.tenant_ledger_nodes WHERE tenant_id = $1', [ledgerId]);
      }
    },
    async forgetLedgerNodes() {
      await q('DELETE FROM bh.provider_ledger_nodes');
      await q('DELETE FROM bh.tenant_ledger_nodes');
    },
    async buildLedgerNodes() {
      const owner = new pg.Client({ connectionString: clusterUrl(OWNER_ROLE, database) });
      await owner.connect();
      try {
        await owner.query(`BEGIN; ${BUILD_LEDGER_NODES}; COMMIT`);
      } finally {
        await owner.end();
      }
    },
    async drop() {
      await superuser.end();
      const client = new pg.Client({ connectionString: inject('postgresUrl') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

