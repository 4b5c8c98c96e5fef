import { describe, expect, it, vi } from 'vitest';
import { createBridge } from '../../contracts/ipc';
import { ConsoleError, createApi } from './api';
import { createFakeConsole } from './testing/fake-bridge';
import { appInfo, fail, signedIn } from './testing/fixtures';

async function caught(promise: Promise<unknown>): Promise<ConsoleError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!(error instanceof ConsoleError)) {
    throw new Error(`expected a ConsoleError, got ${String(error)}`);
  }
  return error;
}

describe('api.call', () => {
  it('returns the validated result', async () => {
    const fake = createFakeConsole({ 'app:info': () => ({ result: appInfo('ready') }) });

    await expect(createApi(fake.bridge).call('app:info', {})).resolves.toEqual(appInfo('ready'));
    expect(fake.callsTo('app:info')).toEqual([{}]);
  });

  it('throws an error envelope as ConsoleError with code, message and details', async () => {
    const fake = createFakeConsole({ 'session:login': () => fail('locked_out', 'Locked.', { retry_after_seconds: 30 }) });

    const error = await caught(createApi(fake.bridge).call('session:login', { username: 'a', password: 'b', totp: '123456' }));

    expect(error.code).toBe('locked_out');
    expect(error.message).toBe('Locked.');
    expect(error.details).toEqual({ retry_after_seconds: 30 });
  });

  it('turns a result outside the contract into internal_error', async () => {
    const fake = createFakeConsole();
    fake.handle('session:status', () => ({ result: { signed_in: 'yes' } }) as never);

    const error = await caught(createApi(fake.bridge).call('session:status', {}));

    expect(error.code).toBe('internal_error');
  });

  it('turns a transport that throws into internal_error', async () => {
    const bridge = createBridge(() => Promise.reject(new Error('boom')), () => () => undefined);

    const error = await caught(createApi(bridge).call('session:status', {}));

    expect(error.code).toBe('internal_error');
  });
});

describe('api.on', () => {
  it('forwards payloads that match the contract and drops the others', () => {
    const fake = createFakeConsole();
    const listener = vi.fn();
    const off = createApi(fake.bridge).on('session:changed', listener);

    fake.emit('session:changed', { bogus: true } as never);
    fake.emit('session:changed', signedIn);

    expect(listener).toHaveBeenCalledExactlyOnceWith(signedIn);
    off();
    expect(fake.listenerCount()).toBe(0);
  });
});
