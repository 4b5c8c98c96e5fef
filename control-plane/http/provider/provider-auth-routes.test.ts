import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { operatorAuthPolicy } from '../../auth/operator-auth';
import { hashToken } from '../../auth/tokens';

describe('POST /provider/v1/auth/login (password + TOTP)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  const login = (body: unknown) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: body as object });

  it('signs in with password and a current code: 201 with a bho_ token, its expiry and the operator', async () => {
    const response = await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ token: string; expires_at: string; operator: { username: string; roles: string[] } }>();
    expect(body.token).toMatch(/^bho_[A-Za-z0-9_-]{43}$/);
    expect(body.operator).toMatchObject({ username: 'admin', roles: ['provider_admin'] });
    expect(Date.parse(body.expires_at) - t.clock.now().getTime()).toBe(operatorAuthPolicy.absoluteLifetimeSeconds * 1000);
  });

  it('answers the same 401 invalid_credentials for a wrong user, password or code', async () => {
    const code = await t.adminCode();
    const answers = await Promise.all([
      login({ username: 'nobody', password: t.admin.password, totp: code }),
      login({ username: 'admin', password: 'wrong-password-here', totp: code }),
      login({ username: 'admin', password: t.admin.password, totp: code === '000000' ? '111111' : '000000' }),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual(answers[0].json());
      expect(answer.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    }
  });

  it('has no password-only path: a missing or malformed code is a 400, never a session', async () => {
    for (const body of [{ username: 'admin', password: t.admin.password }, { username: 'admin', password: t.admin.password, totp: '12345' }, { username: 'admin', password: t.admin.password, totp: '' }]) {
      const response = await login(body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('accepts a code once (replay refused) and tolerates ±1 step of skew', async () => {
    const code = await t.adminCode();
    expect((await login({ username: 'admin', password: t.admin.password, totp: code })).statusCode).toBe(201);
    expect((await login({ username: 'admin', password: t.admin.password, totp: code })).statusCode).toBe(401);
    t.clock.advance(30);
    // The previous step's code is within skew but older than the one used: refused.
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode(-1) })).statusCode).toBe(401);
    // The next step's code (a fast phone clock) is accepted.
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode(1) })).statusCode).toBe(201);
  });

  it('locks the username with a growing back-off after repeated failures, even for the right credentials', async () => {
    for (let attempt = 0; attempt < operatorAuthPolicy.freeFailures - 1; attempt++) {
      expect((await login({ username: 'admin', password: 'wrong-password-here', totp: '123456' })).statusCode).toBe(401);
    }
    // The failure that reaches the threshold still answers 401; from then on, 429.
    expect((await login({ username: 'admin', password: 'wrong-password-here', totp: '123456' })).statusCode).toBe(401);
    const locked = await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: 'locked_out', details: { retry_after_seconds: operatorAuthPolicy.firstLockSeconds } } });
    expect(locked.headers['retry-after']).toBe(String(operatorAuthPolicy.firstLockSeconds));

    t.clock.advance(operatorAuthPolicy.firstLockSeconds + 1);
    expect((await login({ username: 'admin', password: 'wrong-password-here', totp: '123456' })).statusCode).toBe(401);
    const longer = await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() });
    expect(longer.json()).toMatchObject({ error: { code: 'locked_out', details: { retry_after_seconds: operatorAuthPolicy.firstLockSeconds * 2 } } });

    t.clock.advance(operatorAuthPolicy.firstLockSeconds * 2 + 1);
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() })).statusCode).toBe(201);
    // Success resets the count: one more failure does not lock.
    expect((await login({ username: 'admin', password: 'wrong-password-here', totp: '123456' })).statusCode).toBe(401);
    t.clock.advance(30);
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() })).statusCode).toBe(201);
  });

  it('stores only the token hash and never the password', async () => {
    const response = await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() });
    const { token } = response.json<{ token: string }>();
    await t.app.close();
    const contents = await t.engine.rawContents();
    for (const content of contents) {
      expect(content.includes(token)).toBe(false);
      expect(content.includes(t.admin.password)).toBe(false);
    }
    expect(contents.some((content) => content.includes(hashToken(token)))).toBe(true);
  });
});

describe('operator sessions', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  async function signIn(): Promise<string> {
    const response = await t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'admin', password: t.admin.password, totp: await t.adminCode() } });
    return response.json<{ token: string }>().token;
  }
  const logout = (token: string | null) =>
    t.app.inject({ method: 'POST', url: '/provider/v1/auth/logout', headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it('logout revokes the session: 204, then the same token is refused', async () => {
    const token = await signIn();
    expect((await logout(token)).statusCode).toBe(204);
    const again = await logout(token);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses a missing, malformed or unknown token', async () => {
    expect((await logout(null)).statusCode).toBe(401);
    expect((await logout('bht_not-an-operator-token')).statusCode).toBe(401);
    expect((await logout('bho_' + 'x'.repeat(43))).statusCode).toBe(401);
  });

  it('expires an idle session', async () => {
    const token = await signIn();
    t.clock.advance(operatorAuthPolicy.idleTimeoutSeconds + 1);
    const response = await logout(token);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'session_expired' } });
  });

  it('expires a busy session at its absolute lifetime', async () => {
    const token = await signIn();
    // Stay active: a request every 20 minutes keeps the idle timer fresh, until the absolute limit.
    const stepSeconds = 20 * 60;
    const session = () => t.app.inject({ method: 'GET', url: '/provider/v1/auth/session', headers: { authorization: `Bearer ${token}` } });
    let elapsed = 0;
    while (elapsed + stepSeconds < operatorAuthPolicy.absoluteLifetimeSeconds) {
      t.clock.advance(stepSeconds);
      elapsed += stepSeconds;
      const alive = await session();
      expect(alive.statusCode).toBe(200);
      expect(alive.json()).toMatchObject({ operator: { username: 'admin' } });
    }
    t.clock.advance(operatorAuthPolicy.absoluteLifetimeSeconds - elapsed);
    const response = await session();
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'session_expired' } });
  });
});
