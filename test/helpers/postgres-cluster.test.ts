// Starts its own cluster (not the globalSetup one): the helper itself is what is under test.
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster';

/** Resolves with the error code of a TCP connect to 127.0.0.1:port, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
  });
}

/** Running and not a zombie (reaping the orphaned postmaster is pid 1's business, not ours). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe('startPostgresCluster', () => {
  let cluster: PostgresCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves a fresh database to a non-superuser role, then stops without leaving anything behind', async () => {
    const started = await startPostgresCluster();
    cluster = started;
    expect(started.host).toBe('127.0.0.1');
    expect(existsSync(join(started.dataDir, 'PG_VERSION'))).toBe(true);
    const postmasterPid = Number(readFileSync(join(started.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isRunning(postmasterPid)).toBe(true);

    const dbUrl = await started.createDatabase('bulkhead_helper_test');
    expect(dbUrl).toBe(`postgresql://postgres@127.0.0.1:${started.port}/bulkhead_helper_test`);

    await withClient(dbUrl, async (client) => {
      const db = await client.query<{ db: string; superuser: string }>("SELECT current_database() AS db, current_setting('is_superuser') AS superuser");
      expect(db.rows).toEqual([{ db: 'bulkhead_helper_test', superuser: 'on' }]);

      await client.query('CREATE ROLE bulkhead_app LOGIN NOSUPERUSER');
      const role = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', ['bulkhead_app']);
      expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
    });

    const appUrl = `postgresql://bulkhead_app@127.0.0.1:${started.port}/bulkhead_helper_test`;
    const whoami = await withClient(appUrl, async (client) => (await client.query<{ user: string }>('SELECT current_user AS user')).rows);
    expect(whoami).toEqual([{ user: 'bulkhead_app' }]);

    await started.stop();
    await started.stop(); // idempotent

    expect(existsSync(started.dataDir)).toBe(false);
    expect(isRunning(postmasterPid)).toBe(false);
    expect(await tryConnect(started.port)).toBe('ECONNREFUSED');
  }, 20_000);
});
