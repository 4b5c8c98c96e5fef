import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcEvent } from '../../contracts/ipc';
import { foreignCaPem, startControlPlane, type RunningControlPlane } from '../../test/helpers/control-plane-harness';
import { embeddedStandIn } from '../../test/helpers/embedded-stand-in';
import { TestKeychain } from '../../test/helpers/test-keychain';
import { createConsoleHost } from '../console-host';
import { ConnectionStore } from '../control-plane/connection-store';
import { sha256Hex } from '../control-plane/tls-pin';
import { createIpcRouter, type IpcRouter } from '../ipc/router';
import { Connections, type EmbeddedHandle } from './connections';
import { ConsoleService } from './console-service';
import { IdleLock, idleLockHandlers } from './idle-lock';

const trusted = { trustedSender: true };

interface Console {
  router: IpcRouter;
  events: { event: IpcEvent; payload: unknown }[];
  call(channel: string, request?: unknown): Promise<unknown>;
  /** Calls and unwraps `{result}`, failing the test on `{error}`. */
  ok<T = Record<string, unknown>>(channel: string, request?: unknown): Promise<T>;
  /** Calls and answers the error's code and message, failing the test on `{result}`. */
  refused(channel: string, request?: unknown): Promise<{ code: string; message: string }>;
  close(): Promise<void>;
}

/** Every answer any test got, to prove no token ever crossed to the renderer. */
const answers: unknown[] = [];

function consoleOver(dir: string, embedded: EmbeddedHandle): Console {
  const events: Console['events'] = [];
  const emit = (event: IpcEvent, payload: unknown) => events.push({ event, payload });
  const connections = new Connections(new ConnectionStore(dir), embedded, (status) => emit('controlplane:status', status));
  const service = new ConsoleService({
    version: '1.0.0',
    mode: 'browser',
    connections,
    firstRun: { setup: () => Promise.reject(new Error('not in this test')) },
    emit,
  });
  const router = createIpcRouter({ ...service.handlers(), ...idleLockHandlers(new IdleLock({ settingsFile: null, onIdle: () => Promise.resolve() })) });
  const call = async (channel: string, request: unknown = {}) => {
    const answer = await router.handle(channel, request, trusted);
    answers.push(answer);
    return answer;
  };
  return {
    router,
    events,
    call,
    async ok<T>(channel: string, request?: unknown) {
      const answer = (await call(channel, request)) as { result?: T; error?: unknown };
      if (!('result' in answer)) throw new Error(`${channel} was refused: ${JSON.stringify(answer.error)}`);
      return answer.result as T;
    },
    async refused(channel: string, request?: unknown) {
      const answer = (await call(channel, request)) as { result?: unknown; error?: { code: string; message: string } };
      if (answer.error === undefined) throw new Error(`${channel} was not refused: ${JSON.stringify(answer.result)}`);
      return answer.error;
    },
    close: () => service.close(),
  };
}

const fingerprintOf = (pem: string) => sha256Hex(new X509Certificate(pem).raw);

describe('console service: connections and a session per connection (real control planes over HTTPS)', () => {
  let embeddedCp: RunningControlPlane;
  let regionEu: RunningControlPlane;
  let dir: string;
  let consoleA: Console;
  const ids: { eu?: string } = {};
  const login = (cp: RunningControlPlane, offset = 0) => async () => ({ username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode(offset) });

  beforeAll(async () => {
    [embeddedCp, regionEu] = await Promise.all([startControlPlane(), startControlPlane()]);
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-console-service-'));
    consoleA = consoleOver(dir, embeddedStandIn(embeddedCp));
  });

  afterAll(async () => {
    await consoleA.close();
    await Promise.all([embeddedCp.close(), regionEu.close()]);
    rmSync(dir, { recursive: true, force: true });
    // No answer to the renderer ever carried a session token.
    expect(JSON.stringify(answers)).not.toContain('bho_');
  });

  it('lists the embedded control plane alone at first: active, its CA pinned, its key protection', async () => {
    const { items } = await consoleA.ok<{ items: Record<string, unknown>[] }>('connections:list');
    expect(items).toEqual([
      expect.objectContaining({ id: 'embedded', kind: 'embedded', name: 'Embedded', url: embeddedCp.url, trust: 'embedded', key_protection: 'file', active: true, session: { signed_in: false, username: null } }),
    ]);
    expect(String(items[0]?.fingerprint).replace(/:/g, '').toLowerCase()).toBe(fingerprintOf(embeddedCp.caPem));
    expect(await consoleA.ok('connections:test', { id: 'embedded' })).toMatchObject({ url: embeddedCp.url, matched: 'ca' });
  });

  it('refuses bad connection requests before contacting anything', async () => {
    const base = { name: 'Bad', url: regionEu.url };
    expect((await consoleA.refused('connections:add', base)).code).toBe('invalid_request');
    expect((await consoleA.refused('connections:add', { ...base, ca_pem: regionEu.caPem, fingerprint: 'ab'.repeat(32) })).code).toBe('invalid_request');
    expect((await consoleA.refused('connections:add', { ...base, url: regionEu.url.replace('https', 'http'), ca_pem: regionEu.caPem })).message).toMatch(/https:\/\//);
    expect((await consoleA.refused('connections:add', { ...base, url: `${regionEu.url}/provider`, ca_pem: regionEu.caPem })).code).toBe('invalid_request');
    expect((await consoleA.refused('connections:add', { ...base, fingerprint: 'xyz' })).message).toMatch(/64 hex digits/);
    const notPem = await consoleA.refused('connections:add', { ...base, ca_pem: 'hello' });
    expect(notPem).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/not a PEM certificate/) as unknown });
    expect((await consoleA.refused('connections:remove', { id: 'embedded' })).code).toBe('forbidden');
    expect((await consoleA.refused('connections:switch', { id: 'c_0123456789abcdef' })).code).toBe('not_found');
  });

  it('refuses a wrong CA and a wrong fingerprint with a clear reason, and saves nothing', async () => {
    const wrongCa = await consoleA.refused('connections:add', { name: 'Region EU', url: regionEu.url, ca_pem: await foreignCaPem() });
    expect(wrongCa.code).toBe('control_plane_untrusted');
    expect(wrongCa.message).toMatch(/pinned CA certificate does not vouch for/);
    const wrongFingerprint = await consoleA.refused('connections:test', { url: regionEu.url, fingerprint: 'AB:'.repeat(31) + 'AB' });
    expect(wrongFingerprint.code).toBe('control_plane_untrusted');
    expect(wrongFingerprint.message).toContain('none of the certificates it presented has the pinned SHA-256 fingerprint AB:AB');
    expect((await consoleA.ok<{ items: unknown[] }>('connections:list')).items).toHaveLength(1);
  });

  it('tests and adds a remote control plane by its CA, another by a fingerprint; they are saved, not made active', async () => {
    const tested = await consoleA.ok('connections:test', { url: regionEu.url, ca_pem: regionEu.caPem });
    expect(tested).toMatchObject({ url: regionEu.url, matched: 'ca', chain: [{ subject: expect.stringContaining('CN=localhost') as unknown }, {}] });
    const added = await consoleA.ok<{ id: string }>('connections:add', { name: 'Region EU', url: `${regionEu.url}/`, ca_pem: regionEu.caPem });
    ids.eu = added.id;
    expect(added).toMatchObject({ kind: 'remote', name: 'Region EU', url: regionEu.url, trust: 'ca', active: false, key_protection: null, status: { kind: 'remote', state: 'ready' } });
    const byFingerprint = await consoleA.ok<{ id: string }>('connections:add', { name: 'Region EU (fingerprint)', url: regionEu.url, fingerprint: fingerprintOf(regionEu.caPem) });
    expect(byFingerprint).toMatchObject({ trust: 'fingerprint', fingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) as unknown });
    expect((await consoleA.refused('connections:add', { name: 'region eu', url: regionEu.url, ca_pem: regionEu.caPem })).code).toBe('conflict');
    await consoleA.ok('connections:remove', { id: byFingerprint.id });
    const saved = JSON.parse(readFileSync(join(dir, 'connections.json'), 'utf8')) as { active: string; remotes: { id: string; ca_pem?: string }[] };
    expect(saved.active).toBe('embedded');
    expect(saved.remotes.map((remote) => remote.id)).toEqual([ids.eu]);
  });

  it('keeps a session per connection: switching goes to the other one\'s sign-in, and back to a session still open', async () => {
    await consoleA.ok('session:login', await login(embeddedCp)());
    await consoleA.ok('tenants:create', { slug: 'home-only', name: 'Home only' });
    consoleA.events.length = 0;

    const switched = await consoleA.ok('connections:switch', { id: ids.eu });
    expect(switched).toEqual({ signed_in: false, operator: null, expires_at: null });
    // It was checked when added: still ready, so only the switch itself is announced.
    expect(consoleA.events.map((event) => event.event)).toEqual(['controlplane:status', 'session:changed']);
    expect(await consoleA.ok('app:info')).toMatchObject({ control_plane: { kind: 'remote', url: regionEu.url, state: 'ready', connection_id: ids.eu } });
    expect((await consoleA.refused('tenants:list', {})).code).toBe('unauthorized');
    expect((await consoleA.refused('setup:enroll', { username: 'other', password: 'a-long-enough-password' })).code).toBe('forbidden');

    await consoleA.ok('session:login', await login(regionEu)());
    await consoleA.ok('tenants:create', { slug: 'eu-only', name: 'EU only' });
    const euTenants = await consoleA.ok<{ items: { slug: string }[] }>('tenants:list', {});
    expect(euTenants.items.map((tenant) => tenant.slug)).toEqual(['eu-only']);

    expect(await consoleA.ok('connections:switch', { id: 'embedded' })).toMatchObject({ signed_in: true, operator: { username: 'admin' } });
    const homeTenants = await consoleA.ok<{ items: { slug: string }[] }>('tenants:list', {});
    expect(homeTenants.items.map((tenant) => tenant.slug)).toEqual(['home-only']);

    const { items } = await consoleA.ok<{ items: { id: string; active: boolean; session: unknown }[] }>('connections:list');
    expect(items.map(({ id, active, session }) => ({ id, active, session }))).toEqual([
      { id: 'embedded', active: true, session: { signed_in: true, username: 'admin' } },
      { id: ids.eu, active: false, session: { signed_in: true, username: 'admin' } },
    ]);
    expect(readFileSync(join(dir, 'connections.json'), 'utf8')).not.toMatch(/bho_|token|password/);
  });

  it('signing out ends only the active connection\'s session', async () => {
    await consoleA.ok('session:logout');
    await consoleA.ok('connections:switch', { id: ids.eu });
    expect(await consoleA.ok('session:status')).toMatchObject({ signed_in: true });
    await consoleA.ok('connections:switch', { id: 'embedded' });
    expect(await consoleA.ok('session:status')).toMatchObject({ signed_in: false });
  });

  it('saves the connections and the active one across console restarts, never the sessions', async () => {
    await consoleA.ok('connections:switch', { id: ids.eu });
    const restarted = consoleOver(dir, embeddedStandIn(embeddedCp));
    try {
      const { items } = await restarted.ok<{ items: { id: string; active: boolean; session: unknown; status: { state: string } }[] }>('connections:list');
      expect(items.map(({ id, active, session }) => ({ id, active, session }))).toEqual([
        { id: 'embedded', active: false, session: { signed_in: false, username: null } },
        { id: ids.eu, active: true, session: { signed_in: false, username: null } },
      ]);
      // A remote connection is not checked until someone asks: "check again", or its test.
      expect(items[1]?.status.state).toBe('starting');
      expect(await restarted.ok('controlplane:retry')).toMatchObject({ kind: 'remote', state: 'ready' });
      await restarted.ok('connections:switch', { id: 'embedded' });
      const unchecked = consoleOver(dir, embeddedStandIn(embeddedCp));
      await unchecked.ok('connections:test', { id: ids.eu });
      const afterTest = await unchecked.ok<{ items: { status: { state: string } }[] }>('connections:list');
      expect(afterTest.items[1]?.status.state).toBe('ready');
      await unchecked.close();
      await restarted.ok('connections:switch', { id: ids.eu });
    } finally {
      await restarted.close();
    }
  });

  it('removing the active remote connection signs it out there and makes the embedded one active', async () => {
    consoleA.events.length = 0;
    expect(await consoleA.ok('connections:remove', { id: ids.eu })).toEqual({ removed: true });
    expect(await consoleA.ok('app:info')).toMatchObject({ control_plane: { kind: 'embedded' } });
    expect(consoleA.events.map((event) => event.event)).toEqual(['controlplane:status', 'session:changed']);
    expect((await consoleA.ok<{ items: unknown[] }>('connections:list')).items).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'connections.json'), 'utf8'))).toEqual({ version: 1, active: 'embedded', remotes: [] });
  });
});

describe('console service: a remote control plane that goes away', () => {
  let home: RunningControlPlane;
  let remote: RunningControlPlane;
  let dir: string;
  let service: Console;
  let remoteRunning = true;

  beforeAll(async () => {
    [home, remote] = await Promise.all([startControlPlane(), startControlPlane()]);
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-console-gone-'));
    service = consoleOver(dir, embeddedStandIn(home));
  });

  afterAll(async () => {
    await service.close();
    await Promise.all([home.close(), remoteRunning ? remote.close() : undefined]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is shown as failed with the reason, and "check again" checks it again', async () => {
    const { id } = await service.ok<{ id: string }>('connections:add', { name: 'Far', url: remote.url, ca_pem: remote.caPem });
    await service.ok('connections:switch', { id });
    await service.ok('session:login', { username: remote.admin.username, password: remote.admin.password, totp: await remote.adminCode() });
    remoteRunning = false;
    await remote.close();
    service.events.length = 0;
    expect((await service.refused('tenants:list', {})).code).toBe('control_plane_unreachable');
    const info = await service.ok<{ control_plane: { state: string; message: string } }>('app:info');
    expect(info.control_plane.state).toBe('failed');
    expect(info.control_plane.message).toMatch(/cannot be reached/);
    expect(service.events).toContainEqual({ event: 'controlplane:status', payload: expect.objectContaining({ state: 'failed', connection_id: id }) as unknown });
    expect(await service.ok('controlplane:retry')).toMatchObject({ state: 'failed' });
    // Its session is kept: when it is back, the operator is still signed in there.
    expect(await service.ok('session:status')).toMatchObject({ signed_in: true });
  });
});

describe('console host: the deployment key protection the embedded connection reports', () => {
  it('is os_keychain with an Electron safeStorage-like sealer passed in, file without one (browser mode)', async () => {
    for (const [sealer, expected] of [[new TestKeychain(), 'os_keychain'], [undefined, 'file']] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'bulkhead-console-host-'));
      const host = createConsoleHost({
        mode: sealer ? 'electron' : 'browser',
        version: '1.0.0',
        consoleDataDir: dir,
        controlPlaneCli: { command: process.execPath, args: ['--version'], cwd: dir },
        emit: () => undefined,
        log: () => undefined,
        ...(sealer ? { keySealer: sealer } : {}),
      });
      try {
        const answer = (await host.router.handle('connections:list', {}, trusted)) as { result: { items: { key_protection: string; status: { state: string } }[] } };
        expect(answer.result.items[0]).toMatchObject({ key_protection: expected, status: { state: 'starting' } });
      } finally {
        await host.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
