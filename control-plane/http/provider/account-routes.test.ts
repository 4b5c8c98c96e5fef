import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecoveryCodesView, TotpReplacement } from '../../../contracts/operators';
import { buildTestApp, enrollOperator, totpCode, type TestApp } from '../../../test/helpers/control-plane-harness';

describe("the signed-in operator's own account (PUT /provider/v1/auth/password, POST /provider/v1/auth/recovery-codes)", () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  const password = 'viewer-long-password';
  const newPassword = 'a-brand-new-long-passphrase';
  const changePassword = (headers: { authorization: string }, payload: object) => t.app.inject({ method: 'PUT', url: '/provider/v1/auth/password', headers, payload });
  const recoveryCodes = (headers: { authorization: string }, payload: object) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/recovery-codes', headers, payload });
  const sessionOf = (headers: { authorization: string }) => t.app.inject({ method: 'GET', url: '/provider/v1/auth/session', headers });

  /** A billing viewer: the account routes need no provider permission. */
  async function viewer(): Promise<{ authorization: string }> {
    const created = await t.app.inject({ method: 'POST', url: '/provider/v1/operators', headers: await t.adminHeaders(), payload: { username: 'viewer', roles: ['billing_viewer'], password } });
    expect(created.statusCode).toBe(201);
    return enrollOperator(t.app, 'viewer', password, t.clock);
  }

  it('changes its own password after the current one; this session stays, other operators are untouched', async () => {
    const headers = await viewer();
    const wrong = await changePassword(headers, { current_password: 'not-my-password', new_password: newPassword });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'invalid_credentials', message: 'Your current password is wrong.' } });
    expect((await changePassword(headers, { current_password: password, new_password: password })).statusCode).toBe(400);
    expect((await changePassword(headers, { current_password: password, new_password: 'short' })).statusCode).toBe(400);

    const admin = await t.adminHeaders();
    expect((await changePassword(headers, { current_password: password, new_password: newPassword })).statusCode).toBe(204);
    expect((await sessionOf(headers)).statusCode).toBe(200);
    // Another operator's sessions are not touched.
    expect((await sessionOf(admin)).statusCode).toBe(200);

    const audit = (await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=OPERATOR_PASSWORD_CHANGED', headers: admin })).json<{ items: { actor: string }[] }>();
    expect(audit.items.map((entry) => entry.actor)).toEqual(['operator:viewer']);
  });

  it('ends every other session of the same operator when its password changes', async () => {
    const admin = await t.adminHeaders();
    t.clock.advance(30);
    const second = await t.freshAdminHeaders();
    expect((await changePassword(admin, { current_password: t.admin.password, new_password: newPassword })).statusCode).toBe(204);
    expect((await sessionOf(admin)).statusCode).toBe(200);
    expect((await sessionOf(second)).statusCode).toBe(401);
    t.clock.advance(30);
    const old = await t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'admin', password: t.admin.password, totp: await t.adminCode() } });
    expect(old.statusCode).toBe(401);
    const fresh = await t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'admin', password: newPassword, totp: await t.adminCode() } });
    expect(fresh.statusCode).toBe(201);
  });

  it('replaces its recovery codes after its password: the old ones stop working, the new ones sign in', async () => {
    const headers = await viewer();
    const wrong = await recoveryCodes(headers, { password: 'not-my-password' });
    expect(wrong.statusCode).toBe(401);
    const first = RecoveryCodesView.parse((await recoveryCodes(headers, { password })).json()).recovery_codes;
    const response = await recoveryCodes(headers, { password });
    expect(response.statusCode).toBe(201);
    const second = RecoveryCodesView.parse(response.json()).recovery_codes;
    expect(second).toHaveLength(10);
    expect(second.filter((code) => first.includes(code))).toEqual([]);
    const login = (code: string) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'viewer', password, recovery_code: code } });
    expect((await login(first[0] ?? '')).statusCode).toBe(401);
    expect((await login(second[0] ?? '')).statusCode).toBe(201);
    const audit = (await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=OPERATOR_RECOVERY_CODES_REPLACED', headers: await t.adminHeaders() })).json<{ items: unknown[] }>();
    expect(audit.items).toHaveLength(2);
  });

  it('sets up a new authenticator after the password; the old one works until a first code of the new one confirms it', async () => {
    const headers = await t.adminHeaders();
    const start = (payload: object) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/totp', headers, payload });
    const confirm = (totp: string) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/totp/confirm', headers, payload: { totp } });
    const login = async (secret: string) => t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'admin', password: t.admin.password, totp: await totpCode(secret, t.clock.now()) } });

    expect((await confirm('123456')).json()).toMatchObject({ error: { code: 'conflict' } });
    expect((await start({ password: 'not-my-password' })).statusCode).toBe(401);
    const started = await start({ password: t.admin.password });
    expect(started.statusCode).toBe(201);
    const replacement = TotpReplacement.parse(started.json());
    expect(replacement.secret).not.toBe(t.admin.totpSecret);
    expect(new URL(replacement.otpauth_uri).searchParams.get('secret')).toBe(replacement.secret);

    // Not confirmed yet: the old authenticator still signs in.
    t.clock.advance(30);
    expect((await login(t.admin.totpSecret)).statusCode).toBe(201);
    const newCode = await totpCode(replacement.secret, t.clock.now());
    const wrong = await confirm(newCode === '000000' ? '111111' : '000000');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    expect((await confirm(newCode)).statusCode).toBe(204);
    expect((await confirm(newCode)).statusCode).toBe(409);

    t.clock.advance(30);
    expect((await login(t.admin.totpSecret)).json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    t.clock.advance(30);
    expect((await login(replacement.secret)).statusCode).toBe(201);
    const audit = (await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=OPERATOR_TOTP_REPLACED', headers })).json<{ items: unknown[] }>();
    expect(audit.items).toHaveLength(1);
  });

  it('needs a session', async () => {
    expect((await changePassword({ authorization: 'Bearer bho_' + 'x'.repeat(43) }, { current_password: password, new_password: newPassword })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/provider/v1/auth/recovery-codes', payload: { password } })).statusCode).toBe(401);
  });
});
