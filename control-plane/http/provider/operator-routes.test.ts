import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreatedOperator, Operator, PendingEnrollment } from '../../../contracts/operators';
import { buildTestApp, enrollOperator, totpCode, type TestApp } from '../../../test/helpers/control-plane-harness';

describe('/provider/v1/operators', () => {
  let t: TestApp;
  let admin: { authorization: string };

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const create = (payload: object, headers = admin) => t.app.inject({ method: 'POST', url: '/provider/v1/operators', headers, payload });
  const list = async () => (await t.app.inject({ method: 'GET', url: '/provider/v1/operators', headers: admin })).json<{ items: Operator[] }>().items;
  const idOf = async (username: string) => (await list()).find((item) => item.username === username)?.id ?? '';
  const resetTotp = (id: string, headers = admin) => t.app.inject({ method: 'POST', url: `/provider/v1/operators/${id}/reset-totp`, headers });
  const audit = async (eventType: string) =>
    (await t.app.inject({ method: 'GET', url: `/provider/v1/audit?event_type=${eventType}`, headers: admin })).json<{ items: { actor: string; details: Record<string, unknown> }[] }>().items;

  it('answers concurrent creates of one username with one 201 and 409 conflict for the rest, never 500', async () => {
    const responses = await Promise.all(Array.from({ length: 4 }, () => create({ username: 'twin', roles: ['provider_operator'], password: 'twin-long-password' })));
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.statusCode === 409)) expect(response.json()).toMatchObject({ error: { code: 'conflict' } });
    expect((await list()).filter((item) => item.username === 'twin')).toHaveLength(1);
  });

  it('adds an operator pending: the admin never sees its TOTP secret, the operator enrolls its own', async () => {
    const response = await create({ username: 'ops', roles: ['provider_operator'], password: 'ops-long-password' });
    expect(response.statusCode).toBe(201);
    const created = CreatedOperator.parse(response.json());
    expect(created.initial_password).toBeUndefined();
    expect(created.operator).toMatchObject({ username: 'ops', roles: ['provider_operator'], totp_confirmed_at: null, recovery_codes_left: 0 });
    expect(response.body).not.toMatch(/otpauth|secret/);
    const listed = (await list()).map((item) => Operator.parse(item));
    expect(listed.map((item) => [item.username, item.totp_confirmed_at === null])).toEqual([
      ['admin', false],
      ['ops', true],
    ]);
    const enrollment = PendingEnrollment.parse((await t.app.inject({ method: 'POST', url: '/provider/v1/auth/enrollment', payload: { username: 'ops', password: 'ops-long-password' } })).json());
    expect(JSON.stringify(await list())).not.toContain(enrollment.secret);
    const ops = await enrollOperator(t.app, 'ops', 'ops-long-password', t.clock);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(200);
    expect((await list()).find((item) => item.username === 'ops')).toMatchObject({ recovery_codes_left: 10 });
    expect((await audit('OPERATOR_CREATED')).map((entry) => [entry.actor, entry.details.username])).toContainEqual(['operator:admin', 'ops']);
  });

  it('generates an initial password when none is given, returned once', async () => {
    const created = CreatedOperator.parse((await create({ username: 'viewer', roles: ['billing_viewer'] })).json());
    expect(created.initial_password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await t.app.inject({ method: 'POST', url: '/provider/v1/auth/enrollment', payload: { username: 'viewer', password: created.initial_password } })).statusCode).toBe(200);
  });

  it('refuses duplicates, unknown roles, bad usernames and short passwords', async () => {
    expect((await create({ username: 'admin', roles: ['provider_admin'] })).statusCode).toBe(409);
    expect((await create({ username: 'x1', roles: ['provider_admin'] })).statusCode).toBe(400);
    expect((await create({ username: 'root2', roles: ['superuser'] })).statusCode).toBe(400);
    expect((await create({ username: 'root2', roles: [] })).statusCode).toBe(400);
    expect((await create({ username: 'root2', roles: ['provider_admin'], password: 'short' })).statusCode).toBe(400);
  });

  it('deletes an operator and its sessions at once; never yourself, never the last admin', async () => {
    const ops = await t.operatorHeaders('ops', ['provider_operator']);
    const opsId = await idOf('ops');
    const adminId = await idOf('admin');
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/provider/v1/operators/${opsId}`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: `/provider/v1/operators/${adminId}`, headers: admin })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/operators/00000000-0000-4000-8000-000000000000', headers: admin })).statusCode).toBe(404);
    expect((await audit('OPERATOR_DELETED')).map((entry) => entry.details.username)).toEqual(['ops']);
  });

  it("resets another operator's authenticator: pending with a new secret, its sessions and recovery codes gone, ledgered", async () => {
    const ops = await t.operatorHeaders('ops', ['provider_operator']);
    const opsId = await idOf('ops');
    const reset = await resetTotp(opsId);
    expect(reset.statusCode).toBe(200);
    expect(Operator.parse(reset.json())).toMatchObject({ id: opsId, totp_confirmed_at: null, recovery_codes_left: 0 });
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(401);
    // Signing in now leads to enrollment, with a secret of its own, and a first code finishes it.
    t.clock.advance(30);
    const login = await t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'ops', password: 'ops-long-password', totp: '123456' } });
    expect(login.statusCode).toBe(403);
    expect(login.json()).toMatchObject({ error: { code: 'enrollment_required' } });
    const again = await enrollOperator(t.app, 'ops', 'ops-long-password', t.clock);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/auth/session', headers: again })).statusCode).toBe(200);
    expect((await audit('OPERATOR_TOTP_RESET')).map((entry) => [entry.actor, entry.details.username])).toEqual([['operator:admin', 'ops']]);
  });

  it('resets no one unknown, and never oneself', async () => {
    expect((await resetTotp('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const self = await resetTotp(await idOf('admin'));
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ error: { code: 'conflict' } });
    expect((await resetTotp('not-a-uuid')).statusCode).toBe(400);
    // The admin can still sign in as before.
    t.clock.advance(30);
    const login = await t.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: 'admin', password: t.admin.password, totp: await totpCode(t.admin.totpSecret, t.clock.now()) } });
    expect(login.statusCode).toBe(201);
  });

  it('is for provider admins only', async () => {
    const ops = await t.operatorHeaders('ops', ['provider_operator']);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/operators', headers: ops })).statusCode).toBe(403);
    expect((await create({ username: 'sneaky', roles: ['provider_admin'] }, ops)).statusCode).toBe(403);
    expect((await resetTotp(await idOf('admin'), ops)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `/provider/v1/operators/${await idOf('admin')}`, headers: ops })).statusCode).toBe(403);
  });
});
