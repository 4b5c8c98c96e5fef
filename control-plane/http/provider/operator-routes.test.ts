import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Enrollment, Operator } from '../../../contracts/operators';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';

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

  it('creates an operator and shows its TOTP enrollment once; it can then sign in with password and code', async () => {
    const response = await create({ username: 'ops', roles: ['provider_operator'], password: 'ops-long-password' });
    expect(response.statusCode).toBe(201);
    const enrollment = Enrollment.parse(response.json());
    expect(enrollment.initial_password).toBeUndefined();
    expect(new URL(enrollment.otpauth_uri).searchParams.get('secret')).toBe(enrollment.secret);
    const list = (await t.app.inject({ method: 'GET', url: '/provider/v1/operators', headers: admin })).json<{ items: unknown[] }>();
    expect(list.items.map((item) => Operator.parse(item).username)).toEqual(['admin', 'ops']);
    expect(JSON.stringify(list)).not.toContain(enrollment.secret);
    const login = await t.app.inject({
      method: 'POST',
      url: '/provider/v1/auth/login',
      payload: { username: 'ops', password: 'ops-long-password', totp: await generate({ secret: enrollment.secret, epoch: Math.floor(t.clock.now().getTime() / 1000) }) },
    });
    expect(login.statusCode).toBe(201);
  });

  it('generates an initial password when none is given, returned once', async () => {
    const enrollment = Enrollment.parse((await create({ username: 'viewer', roles: ['billing_viewer'] })).json());
    expect(enrollment.initial_password).toMatch(/^[A-Za-z0-9_-]{24}$/);
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
    const list = (await t.app.inject({ method: 'GET', url: '/provider/v1/operators', headers: admin })).json<{ items: Operator[] }>();
    const opsId = list.items.find((item) => item.username === 'ops')?.id ?? '';
    const adminId = list.items.find((item) => item.username === 'admin')?.id ?? '';
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/provider/v1/operators/${opsId}`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/tenants', headers: ops })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: `/provider/v1/operators/${adminId}`, headers: admin })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/operators/00000000-0000-4000-8000-000000000000', headers: admin })).statusCode).toBe(404);
    const audit = (await t.app.inject({ method: 'GET', url: '/provider/v1/audit?event_type=OPERATOR_DELETED', headers: admin })).json<{ items: { details: { username: string } }[] }>();
    expect(audit.items.map((entry) => entry.details.username)).toEqual(['ops']);
  });

  it('is for provider admins only', async () => {
    const ops = await t.operatorHeaders('ops', ['provider_operator']);
    expect((await t.app.inject({ method: 'GET', url: '/provider/v1/operators', headers: ops })).statusCode).toBe(403);
    expect((await create({ username: 'sneaky', roles: ['provider_admin'] }, ops)).statusCode).toBe(403);
  });
});
