import { describe, expect, it, vi } from 'vitest';
import { ConsoleError } from '../console-error';
import { createIpcRouter, type IpcHandlers } from './router';
import { testHandlers } from './test-handlers';

const signedOut = { signed_in: false, operator: null, expires_at: null };

function handlers(overrides: Partial<IpcHandlers> = {}): IpcHandlers {
  return testHandlers({
    'app:info': () => Promise.resolve({ version: '1.0.0', mode: 'browser', control_plane: { kind: 'embedded', url: null, state: 'starting', message: null } }),
    'setup:enroll': () => Promise.reject(new ConsoleError('already_initialized', 'already set up')),
    'session:status': () => Promise.resolve(signedOut),
    'session:login': () => Promise.resolve(signedOut),
    'session:logout': () => Promise.resolve(signedOut),
    ...overrides,
  });
}

const trusted = { trustedSender: true };

describe('IPC router', () => {
  it('answers a valid call with its result', async () => {
    const router = createIpcRouter(handlers());
    expect(await router.handle('session:status', {}, trusted)).toEqual({ result: signedOut });
  });

  it('refuses a sender that is not the console itself, without calling the handler', async () => {
    const status = vi.fn(() => Promise.resolve(signedOut));
    const router = createIpcRouter(handlers({ 'session:status': status }));
    expect(await router.handle('session:status', {}, { trustedSender: false })).toMatchObject({ error: { code: 'forbidden' } });
    expect(status).not.toHaveBeenCalled();
  });

  it.each([['tenants:drop'], ['__proto__'], ['constructor'], [42], [null]])('refuses the unknown channel %s', async (channel) => {
    const router = createIpcRouter(handlers());
    expect(await router.handle(channel, {}, trusted)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('validates the payload with the channel schema: unknown fields and bad codes are invalid_request', async () => {
    const login = vi.fn(() => Promise.resolve(signedOut));
    const router = createIpcRouter(handlers({ 'session:login': login }));
    const extra = await router.handle('session:login', { username: 'a', password: 'b', totp: '123456', admin: true }, trusted);
    expect(extra).toMatchObject({ error: { code: 'invalid_request' } });
    const badCode = await router.handle('session:login', { username: 'a', password: 'b', totp: '12ab56' }, trusted);
    expect(badCode).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'totp' }] } } });
    expect(login).not.toHaveBeenCalled();
  });

  it('passes the parsed request to the handler', async () => {
    const login = vi.fn(() => Promise.resolve(signedOut));
    const router = createIpcRouter(handlers({ 'session:login': login }));
    await router.handle('session:login', { username: 'ops', password: 'pw', totp: '123456' }, trusted);
    expect(login).toHaveBeenCalledWith({ username: 'ops', password: 'pw', totp: '123456' });
  });

  it('turns a ConsoleError into its envelope', async () => {
    const router = createIpcRouter(handlers());
    expect(await router.handle('setup:enroll', { username: 'admin', password: 'long-enough-password' }, trusted)).toEqual({
      error: { code: 'already_initialized', message: 'already set up', details: {} },
    });
  });

  it('logs an unexpected error and answers internal_error without its message', async () => {
    const log = vi.fn();
    const router = createIpcRouter(handlers({ 'session:status': () => Promise.reject(new Error('secret path /etc/key')) }), log);
    const answer = await router.handle('session:status', {}, trusted);
    expect(answer).toMatchObject({ error: { code: 'internal_error' } });
    expect(JSON.stringify(answer)).not.toContain('secret path');
    expect(log).toHaveBeenCalledOnce();
  });
});
