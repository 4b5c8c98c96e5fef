import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ControlPlaneStatus } from '../../contracts/ipc';
import { createCertificateAuthority } from '../../control-plane/tls/certificates';
import { TestKeychain } from '../../test/helpers/test-keychain';
import { ConsoleError } from '../console-error';
import { resolveControlPlaneCommand } from './cli-command';
import { ControlPlaneClient } from './client';
import { EmbeddedControlPlane } from './embedded';

const appRoot = resolve(import.meta.dirname, '..', '..');
const Health = z.object({ status: z.literal('ok') });
const password = 'a-long-test-password';

describe('embedded control plane (real child process, real HTTPS)', () => {
  let dir: string;
  let embedded: EmbeddedControlPlane;
  const statuses: ControlPlaneStatus[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-console-'));
    embedded = new EmbeddedControlPlane({
      consoleDataDir: dir,
      cli: resolveControlPlaneCommand(appRoot, process.execPath),
      onStatus: (status) => statuses.push(status),
    });
  });

  afterAll(async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for setup when there is no data dir yet', async () => {
    expect((await embedded.start()).state).toBe('setup_required');
    expect(embedded.connection()).toBeNull();
  });

  it('refuses a weak first password with a clear invalid_request and creates no control plane', async () => {
    await expect(embedded.setup('admin', 'short')).rejects.toMatchObject({ code: 'invalid_request' });
    expect(embedded.isInitialized()).toBe(false);
  });

  it('sets up the first admin, returns the TOTP enrollment once, and serves HTTPS with a pinned CA', async () => {
    const enrollment = await embedded.setup('admin', password);
    expect(enrollment.username).toBe('admin');
    expect(enrollment.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Bulkhead:admin\?secret=[A-Z2-7]+/);
    expect(embedded.status().state).toBe('ready');
    expect(statuses.map((status) => status.state)).toContain('ready');
    const target = embedded.connection();
    expect(target?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    if (target === null) {
      throw new Error('no connection');
    }
    const client = new ControlPlaneClient(target);
    expect(await client.call('GET', '/healthz', Health)).toEqual({ status: 'ok' });
    await client.close();
    // The key file is private and the password is stored nowhere in plaintext.
    expect(readFileSync(embedded.keyFile, 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    for (const file of readdirSync(embedded.dataDir, { recursive: true, withFileTypes: true })) {
      if (file.isFile()) {
        expect(readFileSync(join(file.parentPath, file.name)).includes(password)).toBe(false);
      }
    }
  });

  it('refuses a second setup', async () => {
    const error: unknown = await embedded.setup('other', password).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleError);
    expect(error).toMatchObject({ code: 'already_initialized' });
  });

  it('does not trust another CA for the same address (pinning)', async () => {
    const target = embedded.connection();
    if (target === null) {
      throw new Error('no connection');
    }
    const otherCa = await createCertificateAuthority('another deployment');
    const impostorTrust = new ControlPlaneClient({ url: target.url, caPem: otherCa.certPem });
    await expect(impostorTrust.call('GET', '/healthz', Health)).rejects.toMatchObject({ code: 'control_plane_untrusted' });
    await impostorTrust.close();
  });

  it('reports failed, with the control plane\'s own reason, when the deployment key is wrong; "check again" starts it once the cause is fixed', async () => {
    await embedded.stop();
    const key = readFileSync(embedded.keyFile, 'utf8');
    writeFileSync(embedded.keyFile, Buffer.alloc(32, 7).toString('base64') + '\n');
    const status = await embedded.start();
    expect(status.state).toBe('failed');
    expect(status.message).toContain('belongs to another deployment key');
    // A failed start is not retried on its own: it would fail the same way.
    await new Promise((done) => setTimeout(done, 300));
    expect(embedded.status().state).toBe('failed');
    writeFileSync(embedded.keyFile, key);
    expect((await embedded.retry()).state).toBe('ready');
  });
});

describe('embedded control plane supervision (a real child process, killed)', () => {
  let dir: string;
  let embedded: EmbeddedControlPlane;
  const statuses: ControlPlaneStatus[] = [];
  const policy = { initialDelayMs: 200, maxDelayMs: 800, steadyAfterMs: 60_000 };

  /** Resolves with the first status (from now on) that `accept` takes. */
  const next = (accept: (status: ControlPlaneStatus) => boolean, timeoutMs = 20_000) => {
    const from = statuses.length;
    return new Promise<ControlPlaneStatus>((done, reject) => {
      const timer = setInterval(() => {
        const found = statuses.slice(from).find(accept);
        if (found) {
          clearInterval(timer);
          clearTimeout(limit);
          done(found);
        }
      }, 20);
      const limit = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no such status within ${timeoutMs} ms; saw ${statuses.slice(from).map((status) => status.state).join(', ')}`));
      }, timeoutMs);
    });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-supervised-'));
    embedded = new EmbeddedControlPlane({ consoleDataDir: dir, cli: resolveControlPlaneCommand(appRoot, process.execPath), onStatus: (status) => statuses.push(status), restartPolicy: policy });
    await embedded.setup('admin', password);
  });

  afterAll(async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a killed control plane as crashed, restarts it after the back-off, and it serves again', async () => {
    const first = embedded.connection();
    const pid = embedded.pid;
    if (first === null || pid === null) throw new Error('not running');
    const crashed = next((status) => status.state === 'crashed');
    process.kill(pid, 'SIGKILL');
    const status = await crashed;
    expect(status.message).toMatch(/stopped unexpectedly: killed by SIGKILL/);
    expect(status.restarts).toBe(1);
    expect(Date.parse(status.retry_at ?? '')).toBeGreaterThan(Date.now() - policy.initialDelayMs);
    expect(embedded.connection()).toBeNull();
    expect((await next((change) => change.state === 'restarting')).restarts).toBe(1);
    const ready = await next((change) => change.state === 'ready');
    expect(embedded.pid).not.toBe(pid);
    const target = embedded.connection();
    if (target === null) throw new Error('not running');
    const client = new ControlPlaneClient(target);
    expect(await client.call('GET', '/healthz', Health)).toEqual({ status: 'ok' });
    await client.close();
    expect(ready.url).toBe(target.url);
  });

  it('backs off longer on each crash in a row, up to the cap', async () => {
    const delays: number[] = [];
    for (let crash = 0; crash < 3; crash++) {
      const pid = embedded.pid;
      if (pid === null) throw new Error('not running');
      const crashed = next((status) => status.state === 'crashed');
      process.kill(pid, 'SIGKILL');
      const status = await crashed;
      delays.push(Date.parse(status.retry_at ?? '') - Date.now());
      await next((change) => change.state === 'ready');
    }
    // Restarts 2, 3 and 4 in a row: 400 ms, then the 800 ms cap twice.
    expect(delays[0]).toBeGreaterThan(250);
    expect(delays[0]).toBeLessThanOrEqual(400);
    expect(delays[1]).toBeGreaterThan(650);
    expect(delays[2]).toBeGreaterThan(650);
    expect(delays[2]).toBeLessThanOrEqual(800);
  });

  it('restarts a crashed control plane at once on "check again", and never after stop()', async () => {
    await embedded.stop();
    const slow = new EmbeddedControlPlane({ consoleDataDir: dir, cli: resolveControlPlaneCommand(appRoot, process.execPath), onStatus: (status) => statuses.push(status), restartPolicy: { ...policy, initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    try {
      expect((await slow.start()).state).toBe('ready');
      const crashed = next((status) => status.state === 'crashed');
      process.kill(slow.pid ?? 0, 'SIGKILL');
      expect(Date.parse((await crashed).retry_at ?? '')).toBeGreaterThan(Date.now() + 50_000);
      expect((await slow.retry()).state).toBe('ready');
      await slow.stop();
      expect(slow.status().state).toBe('failed');
      expect(slow.pid).toBeNull();
    } finally {
      await slow.stop();
    }
  });
});

describe('embedded control plane with the OS keychain (Electron safeStorage, stood in for here)', () => {
  let dir: string;
  const keychain = new TestKeychain();
  const embeddedWith = (sealer: TestKeychain) =>
    new EmbeddedControlPlane({ consoleDataDir: dir, cli: resolveControlPlaneCommand(appRoot, process.execPath), keySealer: sealer });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-console-sealed-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only the sealed deployment key on disk, hands it to the control plane in its environment, and serves', async () => {
    const embedded = embeddedWith(keychain);
    await embedded.setup('admin', password);
    try {
      expect(embedded.status().state).toBe('ready');
      expect(existsSync(embedded.keyFile)).toBe(false);
      const key = keychain.decryptString(readFileSync(embedded.sealedKeyFile));
      for (const file of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (file.isFile()) {
          const bytes = readFileSync(join(file.parentPath, file.name));
          expect(bytes.includes(key) || bytes.includes(Buffer.from(key, 'base64')), file.name).toBe(false);
        }
      }
    } finally {
      await embedded.stop();
    }
  });

  it('reports failed with a clear reason when the keychain is locked, and starts once it is open', async () => {
    keychain.available = false;
    const locked = await embeddedWith(keychain).start();
    expect(locked.state).toBe('failed');
    expect(locked.message).toMatch(/keychain, which is not available now/);
    keychain.available = true;
    const embedded = embeddedWith(keychain);
    try {
      expect((await embedded.start()).state).toBe('ready');
    } finally {
      await embedded.stop();
    }
  });
});
