import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnrolledSession, Operator, PendingEnrollment } from '../../../contracts/operators';
import { buildTestApp, totpCode, type TestApp } from '../../../test/helpers/control-plane-harness';
import { operatorAuthPolicy } from '../../auth/operator-auth';
import { hashToken } from '../../auth/tokens';
import { requestLimits } from '../request-limits';

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

  it('has no password-only path: without a code an enrolled operator gets the same 401, a malformed code is a 400', async () => {
    const without = await login({ username: 'admin', password: t.admin.password });
    expect(without.statusCode).toBe(401);
    expect(without.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    for (const body of [
      { username: 'admin', password: t.admin.password, totp: '12345' },
      { username: 'admin', password: t.admin.password, totp: '' },
      { username: 'admin', password: t.admin.password, recovery_code: 'not-a-code' },
      { username: 'admin', password: t.admin.password, totp: '123456', recovery_code: 'ABCD-EFGH-JKLM-NPQR' },
    ]) {
      const response = await login(body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('accepts a code once and tolerates ±1 step of skew; a replayed right code says to wait for the next', async () => {
    const code = await t.adminCode();
    expect((await login({ username: 'admin', password: t.admin.password, totp: code })).statusCode).toBe(201);
    const replayed = await login({ username: 'admin', password: t.admin.password, totp: code });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json()).toMatchObject({ error: { code: 'totp_replayed', message: expect.stringMatching(/wait for the next/) as unknown } });
    // With a wrong password the same code is just wrong: the replay is told only after the password.
    expect((await login({ username: 'admin', password: 'wrong-password-here', totp: code })).json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    t.clock.advance(30);
    // The previous step's code is within skew but older than the one used: refused as a replay.
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode(-1) })).json()).toMatchObject({ error: { code: 'totp_replayed' } });
    // The next step's code (a fast phone clock) is accepted.
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode(1) })).statusCode).toBe(201);
  });

  // Each attempt runs scrypt: slow on a busy machine.
  it('locks the username with a growing back-off after repeated failures, even for the right credentials', { timeout: 120_000 }, async () => {
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

  const loginFrom = (remoteAddress: string, body: object) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', remoteAddress, payload: body });
  const failures = async () => {
    const audit = await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=OPERATOR_LOGIN_FAILED&limit=200', headers: await t.adminHeaders() });
    return audit.json<{ items: { details: Record<string, unknown> }[] }>().items.map((item) => item.details);
  };

  it('locks an address and username, not the username: a stranger elsewhere cannot lock an operator out', { timeout: 120_000 }, async () => {
    // The admin's session for reading the ledger, first: its code is spent before the sign-ins below.
    await t.adminHeaders();
    t.clock.advance(30);
    const stranger = '203.0.113.9';
    for (let attempt = 0; attempt < operatorAuthPolicy.freeFailures + 2; attempt++) {
      await loginFrom(stranger, { username: 'admin', password: 'wrong-password-here', totp: '123456' });
    }
    expect((await loginFrom(stranger, { username: 'admin', password: t.admin.password, totp: await t.adminCode() })).statusCode).toBe(429);
    expect((await login({ username: 'admin', password: t.admin.password, totp: await t.adminCode() })).statusCode).toBe(201);
    expect((await failures()).filter((details) => details.address === stranger).length).toBe(operatorAuthPolicy.freeFailures + 3);
  });

  it('answers unknown usernames as real ones (locked alike), keeping no row or ledger entry per attempt', { timeout: 180_000 }, async () => {
    const stranger = '198.51.100.7';
    const names = Array.from({ length: 30 }, (_, index) => `ghost-${index}-${Math.random().toString(36).slice(2, 10)}`);
    for (const username of names) {
      expect((await loginFrom(stranger, { username, password: 'some-password-guess', totp: '123456' })).statusCode).toBe(401);
    }
    // One name, again and again: locked out after the same number of failures as a real operator.
    for (let attempt = 0; attempt < operatorAuthPolicy.freeFailures; attempt++) {
      expect((await loginFrom(stranger, { username: 'ghost', password: 'some-password-guess', totp: '123456' })).statusCode).toBe(401);
    }
    const locked = await loginFrom(stranger, { username: 'ghost', password: 'some-password-guess', totp: '123456' });
    expect(locked.json()).toMatchObject({ error: { code: 'locked_out', details: { retry_after_seconds: operatorAuthPolicy.firstLockSeconds } } });

    // The first failure from the address is ledgered at once; the rest wait a minute, then come as one entry.
    let unknown = (await failures()).filter((details) => details.reason === 'unknown_username');
    expect(unknown).toEqual([expect.objectContaining({ address: stranger, attempts: 1, usernames: [names[0]] })]);
    t.clock.advance(61);
    await loginFrom(stranger, { username: 'one-more-ghost', password: 'some-password-guess', totp: '123456' });
    unknown = (await failures()).filter((details) => details.reason === 'unknown_username');
    // Since the first: 29 more names, the ghost's failures and its lock-out, and the one more.
    expect(unknown.map((details) => details.attempts)).toEqual([29 + operatorAuthPolicy.freeFailures + 1 + 1, 1]);
    // Nothing of the names past the ledger's small sample is stored anywhere (no throttle rows).
    const contents = (await t.engine.rawContents()).map((content) => content.toString('latin1'));
    for (const username of names.slice(6)) expect(contents.some((content) => content.includes(username))).toBe(false);
  });

  it('limits sign-in requests per address (429 rate_limited with Retry-After), not for other addresses', async () => {
    const busy = '192.0.2.44';
    // Malformed bodies are refused cheaply but still count: the limit runs before anything else.
    for (let request = 0; request < requestLimits.signIn; request++) {
      expect((await loginFrom(busy, { username: 'admin' })).statusCode).toBe(400);
    }
    const limited = await loginFrom(busy, { username: 'admin', password: t.admin.password, totp: await t.adminCode() });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited', details: { limit_per_minute: requestLimits.signIn } } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
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

describe('TOTP enrollment and recovery codes (POST /provider/v1/auth/enrollment, /enrollment/confirm)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp({ pendingAdmin: true });
  });

  afterEach(async () => {
    await t.close();
  });

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url: `/provider/v1/auth/${url}`, payload });
  const credentials = () => ({ username: 'admin', password: t.admin.password });
  const ledger = async (headers: { authorization: string }, eventType: string) =>
    (await t.app.inject({ method: 'GET', url: `/provider/v1/audit?event_type=${eventType}`, headers })).json<{ items: { details: Record<string, unknown> }[] }>().items;

  async function enroll(): Promise<EnrolledSession> {
    const confirmed = await post('enrollment/confirm', { ...credentials(), totp: await t.adminCode() });
    expect(confirmed.statusCode).toBe(201);
    return EnrolledSession.parse(confirmed.json());
  }

  it('sends a pending operator with the right password to enrollment, and nobody else', async () => {
    for (const body of [credentials(), { ...credentials(), totp: await t.adminCode() }]) {
      const pending = await post('login', body);
      expect(pending.statusCode).toBe(403);
      expect(pending.json()).toMatchObject({ error: { code: 'enrollment_required' } });
    }
    const wrong = await post('login', { username: 'admin', password: 'wrong-password-here' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
  });

  it("answers the pending enrollment (the secret init printed), password-checked, the same each time", async () => {
    const response = await post('enrollment', credentials());
    expect(response.statusCode).toBe(200);
    const enrollment = PendingEnrollment.parse(response.json());
    expect(enrollment.secret).toBe(t.admin.totpSecret);
    expect(new URL(enrollment.otpauth_uri).searchParams.get('secret')).toBe(enrollment.secret);
    expect(enrollment.operator).toMatchObject({ username: 'admin', totp_confirmed_at: null, recovery_codes_left: 0 });
    expect(PendingEnrollment.parse((await post('enrollment', credentials())).json()).secret).toBe(enrollment.secret);
    for (const body of [{ username: 'admin', password: 'wrong-password-here' }, { username: 'nobody', password: t.admin.password }]) {
      const refused = await post('enrollment', body);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    }
  });

  it('finishes with a first code: a session and ten recovery codes shown once; then it is over', async () => {
    const wrong = await post('enrollment/confirm', { ...credentials(), totp: (await t.adminCode()) === '000000' ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'invalid_credentials' } });

    const enrolled = await enroll();
    expect(enrolled.recovery_codes).toHaveLength(10);
    expect(new Set(enrolled.recovery_codes).size).toBe(10);
    expect(enrolled.operator).toMatchObject({ username: 'admin', totp_confirmed_at: t.clock.now().toISOString(), recovery_codes_left: 10 });
    const headers = { authorization: `Bearer ${enrolled.token}` };
    expect(Operator.parse((await t.app.inject({ method: 'GET', url: '/provider/v1/auth/session', headers })).json<{ operator: unknown }>().operator).recovery_codes_left).toBe(10);

    // Enrolled: enrollment answers like a wrong password (no oracle), and the confirming code is spent.
    t.clock.advance(30);
    for (const [url, body] of [['enrollment', credentials()], ['enrollment/confirm', { ...credentials(), totp: await t.adminCode() }]] as const) {
      const again = await post(url, body);
      expect(again.statusCode, url).toBe(401);
      expect(again.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    }
    expect((await post('login', { ...credentials(), totp: await t.adminCode(-1) })).json()).toMatchObject({ error: { code: 'totp_replayed' } });
    expect((await post('login', { ...credentials(), totp: await t.adminCode(1) })).statusCode).toBe(201);

    const confirmed = await ledger(headers, 'OPERATOR_TOTP_CONFIRMED');
    expect(confirmed.map((entry) => entry.details.recovery_codes)).toEqual([10]);
  });

  it('signs in with a recovery code once (any case, with or without dashes), and stores only hashes', async () => {
    const enrolled = await enroll();
    const [first = '', second = ''] = enrolled.recovery_codes;
    const used = await post('login', { ...credentials(), recovery_code: first.toLowerCase().replace(/-/g, '') });
    expect(used.statusCode).toBe(201);
    expect(used.json<{ operator: Operator }>().operator.recovery_codes_left).toBe(9);
    const reused = await post('login', { ...credentials(), recovery_code: first });
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    // A right code with a wrong password is refused and not used up.
    expect((await post('login', { username: 'admin', password: 'wrong-password-here', recovery_code: second })).statusCode).toBe(401);
    expect((await post('login', { ...credentials(), recovery_code: second })).statusCode).toBe(201);

    const headers = { authorization: `Bearer ${enrolled.token}` };
    const logins = await ledger(headers, 'OPERATOR_LOGIN');
    expect(logins.map((entry) => entry.details.method)).toEqual(['recovery_code', 'recovery_code', 'enrollment']);
    await t.app.close();
    const contents = (await t.engine.rawContents()).map((content) => content.toString('latin1'));
    for (const code of enrolled.recovery_codes) {
      for (const form of [code, code.replace(/-/g, '')]) expect(contents.some((content) => content.includes(form))).toBe(false);
    }
  });

  it('throttles enrollment like sign-in: wrong passwords lock the username, from that address, on every door', async () => {
    for (let attempt = 0; attempt < operatorAuthPolicy.freeFailures; attempt++) {
      expect((await post('enrollment', { username: 'admin', password: 'wrong-password-here' })).statusCode).toBe(401);
    }
    for (const [url, body] of [['enrollment', credentials()], ['enrollment/confirm', { ...credentials(), totp: await t.adminCode() }], ['login', credentials()]] as const) {
      const locked = await post(url, body);
      expect(locked.statusCode, url).toBe(429);
      expect(locked.json()).toMatchObject({ error: { code: 'locked_out' } });
    }
    t.clock.advance(operatorAuthPolicy.firstLockSeconds + 1);
    await enroll();
  });

  it('never lets a pending operator reach the provider plane', async () => {
    // No session exists before the first code: every provider route is a 401.
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants' })).statusCode).toBe(401);
    const code = await totpCode(t.admin.totpSecret, t.clock.now());
    expect((await post('login', { ...credentials(), totp: code })).statusCode).toBe(403);
    // The code was not spent by the refused sign-in: it still confirms.
    expect((await post('enrollment/confirm', { ...credentials(), totp: code })).statusCode).toBe(201);
  });
});
