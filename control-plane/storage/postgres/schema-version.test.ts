import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE, OWNER_ROLE } from '../../../test/helpers/postgres-roles';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-test-database';
import { generateDeploymentKey } from '../../crypto/deployment-key';
import { StartupError } from '../../errors';
import { openStorageForInit } from '../open-storage';
import { runMigrations } from './migrate';
import { migrations } from './schema';
import { knownSchemaVersion, schemaVersionRefusal } from './schema-version';
import { exitWithParentArgs } from '../../../test/helpers/cli-process';

/**
 * The start-up check of the schema's version, on a real PostgreSQL: a database one step behind (as
 * the release before this one left it, or behind with the version readable) or ahead (migrated by
 * a newer release) is refused with one line that never carries the connection URL or its password;
 * a current one opens. Through the CLI too: init and serve exit 1 with that line, no stack trace.
 */

/** A password the URLs carry (the test cluster trusts loopback, so it is ignored): no message may show it. */
const PASSWORD = 'pw-never-printed-5e1c';
const KNOWN = knownSchemaVersion();
const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

async function asOwner(db: TestDatabase, fn: (owner: pg.Client) => Promise<void>): Promise<void> {
  const owner = new pg.Client({ connectionString: db.url(OWNER_ROLE) });
  await owner.connect();
  try {
    await fn(owner);
  } finally {
    await owner.end();
  }
}

/** The refusal openStorageForInit gives (as the app role, the URL with a password), or null when it opens. */
async function refusal(db: TestDatabase): Promise<StartupError | null> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bh-schema-version-'));
  try {
    const { storage } = await openStorageForInit({ engine: 'postgres', url: withPassword(db.url(APP_ROLE)) }, dataDir, randomBytes(32));
    await storage.close();
    return null;
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    return error;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function expectRefused(error: StartupError | null, message: RegExp): void {
  expect(error).toBeInstanceOf(StartupError);
  expect(error?.code).toBe('database_schema_mismatch');
  expect(error?.message).toMatch(message);
  expect(error?.message).not.toContain(PASSWORD);
  expect(error?.message).not.toMatch(/postgres(ql)?:\/\//);
  expect(error?.message).not.toContain('\n');
}

const BEHIND = /control-plane migrate --database <the owner role's URL> --app-role bulkhead_app as the owner role/;

describe('schemaVersionRefusal', () => {
  it('accepts only the version this build knows', () => {
    expect(schemaVersionRefusal(KNOWN, KNOWN, APP_ROLE)).toBeNull();
    expect(schemaVersionRefusal(KNOWN - 1, KNOWN, APP_ROLE)).toMatch(BEHIND);
    expect(schemaVersionRefusal(null, KNOWN, APP_ROLE)).toMatch(/at an older version/);
    expect(schemaVersionRefusal(KNOWN + 1, KNOWN, APP_ROLE)).toMatch(/newer than this control plane/);
  });
});

describe('the PostgreSQL schema version at start-up', () => {
  const dbs: TestDatabase[] = [];
  const database = async (template?: string) => {
    const db = await createTestDatabase(inject('postgresUrl'), 'bh_schema_version', template);
    dbs.push(db);
    return db;
  };

  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('opens a database at the version this build knows', async () => {
    expect(await refusal(await database())).toBeNull();
  });

  it('refuses a database the previous release migrated (the last step missing), naming migrate; opens it once migrated', async () => {
    const db = await database('template0');
    await asOwner(db, async (owner) => {
      await owner.query('BEGIN');
      await owner.query('CREATE SCHEMA bh');
      await owner.query('CREATE TABLE bh.schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
      for (const [index, step] of migrations(APP_ROLE).slice(0, -1).entries()) {
        if (typeof step === 'string') await owner.query(step);
        else await step(owner);
        await owner.query('INSERT INTO bh.schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, '2026-12-01T00:00:00.000Z']);
      }
      await owner.query('COMMIT');
    });
    expectRefused(await refusal(db), BEHIND);
    expect(await runMigrations(db.url(OWNER_ROLE), APP_ROLE)).toEqual({ applied: 1 });
    expect(await refusal(db)).toBeNull();
  });

  it('refuses a database one version behind whose version the app role reads, naming both versions', async () => {
    const db = await database();
    await asOwner(db, async (owner) => {
      await owner.query('DELETE FROM bh.schema_migrations WHERE version = $1', [KNOWN]);
    });
    const error = await refusal(db);
    expectRefused(error, BEHIND);
    expect(error?.message).toContain(`at version ${String(KNOWN - 1)}; this control plane needs version ${String(KNOWN)}`);
  });

  it('refuses a database a newer release migrated', async () => {
    const db = await database();
    await asOwner(db, async (owner) => {
      await owner.query('INSERT INTO bh.schema_migrations (version, applied_at) VALUES ($1, $2)', [KNOWN + 1, '2027-01-01T00:00:00.000Z']);
    });
    expectRefused(await refusal(db), new RegExp(`at version ${String(KNOWN + 1)}, newer than this control plane's ${String(KNOWN)}: a newer release migrated it`));
  });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Outcome> {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BULKHEAD_'));
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, 'control-plane/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...Object.fromEntries(inherited), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A serve that wrongly starts would never exit: end it, so the test fails instead of hanging.
  const timer = setTimeout(() => child.kill('SIGTERM'), 30_000);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** One line on stderr, exit 1, no stack frame, no URL or password anywhere. */
function expectOneLineRefusal(outcome: Outcome, message: RegExp): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  const lines = outcome.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(outcome.stderr).not.toMatch(/^\s+at /m);
  expect(outcome.stderr).not.toContain(PASSWORD);
  expect(outcome.stderr).not.toMatch(/postgres(ql)?:\/\//);
}

describe('control-plane init and serve --database on a schema of another version (child processes)', () => {
  let db: TestDatabase;
  let url: string;
  let work: string;
  const env = { BULKHEAD_DEPLOYMENT_KEY: generateDeploymentKey(), BULKHEAD_ADMIN_PASSWORD: 'schema-version-admin-pw-3d9a' };
  const serve = () => cli(['serve', '--data', join(work, 'data'), '--database', url, '--listen', '127.0.0.1:0'], env);
  const setVersion = (version: number) =>
    asOwner(db, async (owner) => {
      await owner.query('DELETE FROM bh.schema_migrations WHERE version > $1', [version]);
      await owner.query("INSERT INTO bh.schema_migrations (version, applied_at) SELECT v, '2027-01-01T00:00:00.000Z' FROM generate_series(1, $1::integer) v ON CONFLICT (version) DO NOTHING", [version]);
    });

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), 'bh_schema_version_cli');
    url = withPassword(db.url(APP_ROLE));
    work = mkdtempSync(join(tmpdir(), 'bh-schema-version-cli-'));
  });

  afterAll(async () => {
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('init refuses a database one step behind, and creates no data dir', async () => {
    await setVersion(KNOWN - 1);
    const refused = await cli(['init', '--data', join(work, 'refused'), '--admin', 'admin', '--database', url, '--json'], env);
    expectOneLineRefusal(refused, /^control-plane: .*run control-plane migrate --database <the owner role's URL> --app-role bulkhead_app as the owner role/);
    // Neither the data dir nor its staging dir (.refused.init-*) is left behind.
    expect(readdirSync(work).filter((name) => name.includes('refused'))).toEqual([]);
  }, 60_000);

  it('serve refuses a database behind and one ahead; init works on the current one', async () => {
    await setVersion(KNOWN);
    const init = await cli(['init', '--data', join(work, 'data'), '--admin', 'admin', '--database', url, '--json'], env);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);

    await setVersion(KNOWN - 1);
    expectOneLineRefusal(await serve(), /^control-plane: The PostgreSQL schema is at version \d+; this control plane needs version \d+: run control-plane migrate/);
    await setVersion(KNOWN + 1);
    expectOneLineRefusal(await serve(), /^control-plane: The PostgreSQL schema is at version \d+, newer than this control plane's \d+/);
  }, 120_000);
});
