import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcEvent, IpcEventPayload } from '../../contracts/ipc';
import { startControlPlane, totpCode, type RunningControlPlane } from '../../test/helpers/control-plane-harness';
import { embeddedStandIn } from '../../test/helpers/embedded-stand-in';
import { ConnectionStore } from '../control-plane/connection-store';
import { createIpcRouter, type IpcRouter } from '../ipc/router';
import { Connections } from './connections';
import { ConsoleService } from './console-service';
import { IdleLock, idleLockHandlers } from './idle-lock';

const trusted = { trustedSender: true };
const STEP_MS = 30_000;

/**
 * The console's enrollment, account and operator channels through the real IPC router and
 * ConsoleService, against a real control plane over HTTPS (its first admin pending, as after init).
 */
describe('operator handlers (enrollment, account, operators) against a real control plane', () => {
  let cp: RunningControlPlane;
  let router: IpcRouter;
  let service: ConsoleService;
  let dataDir: string;
  const events: { event: IpcEvent; payload: unknown }[] = [];
  let recoveryCodes: string[] = [];
  let clock = Date.now();

  beforeAll(async () => {
    // The control plane's clock is the test's, moved a step per sign-in: a TOTP code is accepted once.
    cp = await startControlPlane({ pendingAdmin: true, clock: () => new Date(clock) });
    dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-operator-handlers-'));
    service = new ConsoleService({
      version: '0.0.0-test',
      mode: 'browser',
      connections: new Connections(new ConnectionStore(dataDir), embeddedStandIn(cp), () => undefined),
      firstRun: { setup: () => Promise.reject(new Error('not in this test')) },
      emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => {
        events.push({ event, payload });
      },
    });
    const lock = new IdleLock({ settingsFile: null, onIdle: () => Promise.resolve() });
    router = createIpcRouter({ ...service.handlers(), ...idleLockHandlers(lock) });
  }, 60_000);

  afterAll(async () => {
    await service.close();
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (channel: string, payload: unknown = {}) => router.handle(channel, payload, trusted);
  const nextStep = () => {
    clock += STEP_MS;
  };
  const code = (secret: string) => totpCode(secret, new Date(clock));
  const admin = () => ({ username: cp.admin.username, password: cp.admin.password });

  it('sends a pending admin from sign-in to enrollment, then a first code signs it in and answers its recovery codes once', async () => {
    expect(await call('session:login', admin())).toMatchObject({ error: { code: 'enrollment_required' } });
    const started = await call('enrollment:start', admin());
    expect(started).toEqual({ result: { username: 'admin', otpauth_uri: expect.stringMatching(/^otpauth:\/\/totp\/Bulkhead:admin\?/) as unknown, secret: cp.admin.totpSecret } });

    expect(await call('enrollment:confirm', { ...admin(), totp: '000000' === (await code(cp.admin.totpSecret)) ? '111111' : '000000' })).toMatchObject({ error: { code: 'invalid_credentials' } });
    const confirmed = await call('enrollment:confirm', { ...admin(), totp: await code(cp.admin.totpSecret) });
    if (!('result' in confirmed)) throw new Error(JSON.stringify(confirmed));
    const result = confirmed.result as { session: { signed_in: boolean; operator: { username: string } }; recovery_codes: string[] };
    expect(result.session).toMatchObject({ signed_in: true, operator: { username: 'admin' } });
    expect(result.recovery_codes).toHaveLength(10);
    recoveryCodes = result.recovery_codes;
    // The session stays in the main process: no token in what the renderer gets.
    expect(JSON.stringify(confirmed)).not.toContain('bho_');
    expect(events.at(-1)).toMatchObject({ event: 'session:changed', payload: { signed_in: true } });
    expect(await call('account:get')).toMatchObject({ result: { username: 'admin', recovery_codes_left: 10 } });
  });

  it('adds an operator who completes its own enrollment, resets its authenticator and removes it', async () => {
    const created = await call('operators:create', { username: 'oncall', roles: ['provider_operator'] });
    if (!('result' in created)) throw new Error(JSON.stringify(created));
    const { operator, initial_password: password } = created.result as { operator: { id: string; totp_confirmed_at: string | null }; initial_password: string };
    expect(operator.totp_confirmed_at).toBeNull();
    expect(JSON.stringify(created)).not.toMatch(/otpauth|secret/);
    const listed = await call('operators:list');
    expect(listed).toMatchObject({ result: { items: [{ username: 'admin' }, { username: 'oncall', totp_confirmed_at: null, recovery_codes_left: 0 }] } });

    const reset = await call('operators:reset-totp', { id: operator.id });
    expect(reset).toMatchObject({ result: { id: operator.id, totp_confirmed_at: null } });
    // Resetting oneself is refused with the control plane's reason.
    const self = ((await call('account:get')) as { result: { id: string } }).result.id;
    expect(await call('operators:reset-totp', { id: self })).toMatchObject({ error: { code: 'conflict' } });
    expect(await call('operators:remove', { id: 'not-a-uuid' })).toMatchObject({ error: { code: 'invalid_request' } });

    // The operator's own enrollment works from its initial password (the console then holds its session).
    const enrollment = (await call('enrollment:start', { username: 'oncall', password })) as { result: { secret: string } };
    nextStep();
    const enrolled = await call('enrollment:confirm', { username: 'oncall', password, totp: await code(enrollment.result.secret) });
    expect(enrolled).toMatchObject({ result: { session: { operator: { username: 'oncall', roles: ['provider_operator'] } } } });
    // As a provider_operator it may not administer operators.
    expect(await call('operators:list')).toMatchObject({ error: { code: 'forbidden' } });

    // Back as the admin, with a recovery code (any case, no dashes), to remove it.
    expect(await call('session:login', { ...admin(), recovery_code: (recoveryCodes[0] ?? '').toLowerCase().replace(/-/g, '') })).toMatchObject({ result: { signed_in: true } });
    expect(await call('session:login', { ...admin(), recovery_code: recoveryCodes[0] })).toMatchObject({ error: { code: 'invalid_credentials' } });
    expect(await call('operators:remove', { id: operator.id })).toEqual({ result: { removed: true } });
    expect(await call('operators:list')).toMatchObject({ result: { items: [{ username: 'admin' }] } });
  });

  it("changes the admin's own password and replaces its recovery codes, each after the current password", async () => {
    expect(await call('account:password', { current_password: 'not-the-password', new_password: 'another-long-password' })).toMatchObject({ error: { code: 'invalid_credentials' } });
    expect(await call('account:password', { current_password: cp.admin.password, new_password: 'short' })).toMatchObject({ error: { code: 'invalid_request' } });
    expect(await call('account:password', { current_password: cp.admin.password, new_password: 'another-long-password' })).toEqual({ result: { changed: true } });
    const replaced = await call('account:recovery-codes', { password: 'another-long-password' });
    expect(replaced).toMatchObject({ result: { recovery_codes: expect.arrayContaining([expect.stringMatching(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/)]) as unknown } });
    expect(await call('account:get')).toMatchObject({ result: { recovery_codes_left: 10 } });
    // The session is still this console's: the password change ended only the admin's other sessions.
    expect(await call('session:status')).toMatchObject({ result: { signed_in: true } });
    // A replayed code is told apart from a wrong one.
    nextStep();
    expect(await call('session:login', { username: 'admin', password: 'another-long-password', totp: await code(cp.admin.totpSecret) })).toMatchObject({ result: { signed_in: true } });
    expect(await call('session:login', { username: 'admin', password: 'another-long-password', totp: await code(cp.admin.totpSecret) })).toMatchObject({ error: { code: 'totp_replayed' } });
  });

  it('sets up a new authenticator for the signed-in admin, after its password and a first code of the new one', async () => {
    expect(await call('account:totp-start', { password: 'not-the-password' })).toMatchObject({ error: { code: 'invalid_credentials' } });
    const started = await call('account:totp-start', { password: 'another-long-password' });
    if (!('result' in started)) throw new Error(JSON.stringify(started));
    const { secret } = started.result as { secret: string };
    expect(secret).not.toBe(cp.admin.totpSecret);
    expect(await call('account:totp-confirm', { totp: await code(secret) })).toEqual({ result: { replaced: true } });
    nextStep();
    expect(await call('session:login', { username: 'admin', password: 'another-long-password', totp: await code(cp.admin.totpSecret) })).toMatchObject({ error: { code: 'invalid_credentials' } });
    expect(await call('session:login', { username: 'admin', password: 'another-long-password', totp: await code(secret) })).toMatchObject({ result: { signed_in: true } });
  });
});
