import { fork } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorRunView } from '../../contracts/simulation';
import { SimulatorRunner } from '../../src-main/services/simulator-runner';
import { sha256Hex } from '../../src-main/control-plane/tls-pin';
import { totpCode } from '../helpers/control-plane-harness';
import { consoleRouter, type ConsoleRouter } from '../helpers/console-router';

const worker = resolve(import.meta.dirname, '..', '..', 'simulator', 'worker.ts');

/**
 * The console's simulator panel end to end below the renderer: the IPC channels, the runner forking
 * the real simulator worker, and a real control plane the console is signed in to. The worker gets
 * the operator's session over its IPC channel only, and runs a scenario with it.
 */
describe('simulator:* channels over the real worker', () => {
  let c: ConsoleRouter;
  let forkedArgv: string[] = [];

  beforeAll(async () => {
    const runner = new SimulatorRunner(() => {
      const child = fork(worker, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      forkedArgv = child.spawnargs;
      return child;
    });
    c = await consoleRouter({ simulator: runner });
  }, 120_000);

  afterAll(async () => {
    await c.close();
  });

  it('runs scim-sync on the console’s control plane with its session, reports progress, then the report; one run at a time', async () => {
    const started = await c.result<SimulatorRunView>('simulator:start', { scenario: 'scim-sync', seed: 4242, tenants: 1 });
    expect(started).toMatchObject({ state: 'running', scenario: 'scim-sync', seed: 4242 });
    // The session went over the IPC channel: not on the child's command line.
    expect(forkedArgv.join(' ')).not.toMatch(/bho_|token/i);
    expect(await c.call('simulator:start', { scenario: 'scim-sync', tenants: 1 })).toMatchObject({ error: { code: 'conflict' } });

    let view = started;
    const deadline = Date.now() + 150_000;
    while (view.state === 'running' && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 500));
      view = await c.result<SimulatorRunView>('simulator:status');
    }
    expect(view.error).toBeNull();
    expect(view.state).toBe('finished');
    expect(view.steps.some((step) => step.includes('setting up'))).toBe(true);
    expect(view.report).toMatchObject({ scenario: 'scim-sync', ok: true, seed: 4242 });
    expect(view.report?.invariants.length).toBeGreaterThan(0);
    // Nothing the renderer sees carries the session.
    expect(JSON.stringify(view)).not.toMatch(/bho_/);
    // The fleet was made through the console's control plane, by its operator.
    const tenants = await c.result<{ items: { slug: string }[] }>('tenants:list', { limit: 100 });
    expect(tenants.items.length).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('stops a run: the child ends and the view says so', async () => {
    await c.result('simulator:start', { scenario: 'noisy-neighbor', seed: 99, tenants: 2, duration_seconds: 30 });
    const stopped = await c.result<SimulatorRunView>('simulator:stop');
    expect(stopped.state).toBe('stopped');
    expect((await c.result<SimulatorRunView>('simulator:status')).state).toBe('stopped');
    // A new run may start at once.
    await c.result('simulator:start', { scenario: 'scim-sync', seed: 5, tenants: 1 });
    expect((await c.result<SimulatorRunView>('simulator:stop')).state).toBe('stopped');
  }, 60_000);

  it('refuses a connection pinned by a fingerprint only (the simulator pins a CA), and a console signed out', async () => {
    const added = await c.result<{ id: string }>('connections:add', { name: 'by fingerprint', url: c.cp.url, fingerprint: sha256Hex(new X509Certificate(c.cp.caPem).raw) });
    await c.result('connections:switch', { id: added.id });
    expect(await c.call('simulator:start', { scenario: 'scim-sync', tenants: 1 })).toMatchObject({ error: { code: 'unauthorized' } });
    c.advance(30);
    await c.result('session:login', { username: c.cp.admin.username, password: c.cp.admin.password, totp: await totpCode(c.cp.admin.totpSecret, c.now()) });
    expect(await c.call('simulator:start', { scenario: 'scim-sync', tenants: 1 })).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('CA certificate') as unknown } });
    expect((await c.result<SimulatorRunView>('simulator:status')).state).toBe('stopped');
  }, 60_000);
});
