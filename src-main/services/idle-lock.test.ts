import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcEvent, IpcEventPayload, SessionStatus } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import { createIpcRouter } from '../ipc/router';
import { testHandlers } from '../ipc/test-handlers';
import { IdleLock, idleLockHandlers } from './idle-lock';

const signedIn: SessionStatus = {
  signed_in: true,
  operator: { id: '3f1c2b7e-8a4d-4c1e-9b2a-1d2e3f4a5b6c', username: 'alice', roles: ['provider_admin'], created_at: '2026-01-01T00:00:00.000Z', totp_confirmed_at: '2026-01-01T00:00:00.000Z', recovery_codes_left: 10 },
  expires_at: '2026-01-01T12:00:00.000Z',
};
const signedOut: SessionStatus = { signed_in: false, operator: null, expires_at: null };
const trusted = { trustedSender: true };
const MINUTE = 60_000;

describe('the idle lock', () => {
  let dir: string;

  beforeEach(() => {
    vi.useFakeTimers();
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-idle-'));
  });

  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A lock over a router whose handlers count as activity, and an emitter that records events. */
  function setup(options: { overrideSeconds?: number } = {}) {
    const onIdle = vi.fn((): Promise<void> => Promise.resolve());
    const lock = new IdleLock({ settingsFile: join(dir, 'idle-lock.json'), onIdle, now: () => Date.now(), ...options });
    const events: { event: IpcEvent; payload: unknown }[] = [];
    const emit = lock.observe(<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => {
      events.push({ event, payload });
    });
    const router = createIpcRouter(lock.watch({ ...testHandlers({ 'session:status': () => Promise.resolve(signedIn), 'license:get': () => Promise.reject(new ConsoleError('unauthorized', 'no')) }), ...idleLockHandlers(lock) }));
    return { lock, onIdle, emit, events, router };
  }

  it('locks 15 minutes after the last call by default, counting from the sign-in', async () => {
    const { lock, onIdle, emit, router } = setup();
    expect(await router.handle('lock:settings', {}, trusted)).toEqual({ result: { idle_lock_seconds: 15 * 60, source: 'default' } });
    emit('session:changed', signedIn);
    expect(lock.armed).toBe(true);
    await vi.advanceTimersByTimeAsync(15 * MINUTE - 1000);
    expect(onIdle).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(onIdle).toHaveBeenCalledWith(15 * 60);
  });

  it('counts any call from the renderer as activity, but not its own polling of the session', async () => {
    const { onIdle, emit, router } = setup();
    emit('session:changed', signedIn);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    await router.handle('license:get', {}, trusted);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(onIdle).not.toHaveBeenCalled();
    // Polling every minute for five more minutes keeps nothing awake.
    for (let i = 0; i < 5; i++) {
      await router.handle('session:status', {}, trusted);
      await vi.advanceTimersByTimeAsync(MINUTE);
    }
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('stops counting at sign-out, and does not lock a console nobody is signed in to', async () => {
    const { lock, onIdle, emit } = setup();
    emit('session:changed', signedIn);
    emit('session:changed', signedOut);
    expect(lock.armed).toBe(false);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it('keeps a chosen time for the next start (0600) and applies it to the running countdown', async () => {
    const { onIdle, emit, router } = setup();
    emit('session:changed', signedIn);
    expect(await router.handle('lock:configure', { idle_lock_minutes: 5 }, trusted)).toEqual({ result: { idle_lock_seconds: 300, source: 'settings' } });
    const file = join(dir, 'idle-lock.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ idle_lock_minutes: 5 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(onIdle).toHaveBeenCalledWith(300);
    expect(setup().lock.settings()).toEqual({ idle_lock_seconds: 300, source: 'settings' });
  });

  it('refuses a time outside 1 to 720 minutes, and reads a damaged settings file as the default', async () => {
    const { router } = setup();
    for (const minutes of [0, 721, 1.5]) {
      expect(await router.handle('lock:configure', { idle_lock_minutes: minutes }, trusted)).toMatchObject({ error: { code: 'invalid_request' } });
    }
    writeFileSync(join(dir, 'idle-lock.json'), '{"idle_lock_minutes": 100000}');
    expect(setup().lock.settings()).toEqual({ idle_lock_seconds: 900, source: 'default' });
  });

  it('takes a launch flag over the setting, and then cannot be changed from the console', async () => {
    writeFileSync(join(dir, 'idle-lock.json'), '{"idle_lock_minutes": 30}');
    const { onIdle, emit, router } = setup({ overrideSeconds: 3 });
    expect(await router.handle('lock:settings', {}, trusted)).toEqual({ result: { idle_lock_seconds: 3, source: 'flag' } });
    expect(await router.handle('lock:configure', { idle_lock_minutes: 10 }, trusted)).toMatchObject({ error: { code: 'conflict' } });
    emit('session:changed', signedIn);
    await vi.advanceTimersByTimeAsync(3000);
    expect(onIdle).toHaveBeenCalledWith(3);
  });
});
