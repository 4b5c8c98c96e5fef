import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type IdleLockView } from '../../../contracts/ipc';
import { appInfo, fail, operator, recoveryCodes, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(cleanup);

function renderAccount(options: { codesLeft?: number; lock?: IdleLockView } = {}) {
  const state = { codesLeft: options.codesLeft ?? 10, lock: options.lock ?? { idle_lock_seconds: 900, source: 'default' as const } };
  const view = renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedIn }),
    'account:get': () => ({ result: { ...operator, recovery_codes_left: state.codesLeft } }),
    'account:password': (request) => (request.current_password === 'the current password' ? { result: { changed: true } } : fail('invalid_credentials', 'Your current password is wrong.')),
    'account:recovery-codes': (request) => {
      if (request.password !== 'the current password') return fail('invalid_credentials', 'Your current password is wrong.');
      state.codesLeft = 10;
      return { result: { recovery_codes: recoveryCodes } };
    },
    'account:totp-start': (request) =>
      request.password === 'the current password' ? { result: { otpauth_uri: 'otpauth://totp/Bulkhead:alice?secret=NEWSECRETNEWSECRET&issuer=Bulkhead', secret: 'NEWSECRETNEWSECRET' } } : fail('invalid_credentials', 'Your current password is wrong.'),
    'account:totp-confirm': (request) => (request.totp === '135790' ? { result: { replaced: true } } : fail('invalid_credentials', 'That code does not match the new authenticator.')),
    'lock:settings': () => ({ result: state.lock }),
    'lock:configure': (request) => {
      state.lock = { idle_lock_seconds: request.idle_lock_minutes * 60, source: 'settings' };
      return { result: state.lock };
    },
  });
  return { ...view, state };
}

async function openAccount() {
  await screen.findByRole('heading', { name: 'Overview' });
  fireEvent.click(within(screen.getByRole('navigation', { name: 'Console sections' })).getByRole('link', { name: 'Account' }));
  await screen.findByRole('heading', { name: 'Account' });
}

describe('account', () => {
  it('changes the password after the current one, checking the new one before sending', async () => {
    const { fake } = renderAccount();
    await openAccount();
    const form = screen.getByRole('form', { name: 'Change password' });
    fireEvent.change(within(form).getByLabelText('Current password'), { target: { value: 'wrong one' } });
    fireEvent.change(within(form).getByLabelText('New password'), { target: { value: 'a new long passphrase' } });
    fireEvent.change(within(form).getByLabelText('Confirm new password'), { target: { value: 'a new long passphrase!' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(within(form).getByRole('alert').textContent).toContain('do not match');
    expect(fake.callsTo('account:password')).toEqual([]);

    fireEvent.change(within(form).getByLabelText('Confirm new password'), { target: { value: 'a new long passphrase' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('Your current password is wrong.');

    fireEvent.change(within(form).getByLabelText('Current password'), { target: { value: 'the current password' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect((await within(form).findByRole('status')).textContent).toContain('Password changed.');
    expect(fake.callsTo('account:password').at(-1)).toEqual({ current_password: 'the current password', new_password: 'a new long passphrase' });
    expect(within(form).getByLabelText<HTMLInputElement>('New password').value).toBe('');
  });

  it('warns when few recovery codes are left, makes new ones after the password and shows them once', async () => {
    const { fake } = renderAccount({ codesLeft: 2 });
    await openAccount();
    expect(await screen.findByText('Only 2 recovery codes left.')).toBeTruthy();
    const form = screen.getByRole('form', { name: 'New recovery codes' });
    fireEvent.change(within(form).getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Make new recovery codes' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('Your current password is wrong.');

    fireEvent.change(within(form).getByLabelText('Password'), { target: { value: 'the current password' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Make new recovery codes' }));
    const list = await screen.findByTestId('recovery-codes');
    expect(within(list).getAllByRole('listitem').map((item) => item.textContent)).toEqual(recoveryCodes);
    expect((await screen.findByTestId('recovery-codes-left')).textContent).toBe('10 left');
    const done = screen.getByRole('button', { name: 'Done' });
    expect(done.hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByLabelText('I have saved these codes somewhere safe'));
    fireEvent.click(done);
    expect(screen.queryByTestId('recovery-codes')).toBeNull();
    expect(fake.callsTo('account:recovery-codes')).toEqual([{ password: 'nope' }, { password: 'the current password' }]);
  });

  it('sets up a new authenticator after the password: the QR code, then a first code of the new app', async () => {
    const { fake } = renderAccount();
    await openAccount();
    const start = screen.getByRole('form', { name: 'Set up a new authenticator' });
    fireEvent.change(within(start).getByLabelText('Password'), { target: { value: 'the current password' } });
    fireEvent.click(within(start).getByRole('button', { name: 'Set up a new authenticator' }));

    const form = await screen.findByRole('form', { name: 'New authenticator' });
    expect(within(form).getByRole('img', { name: 'QR code to add alice to an authenticator app' })).toBeTruthy();
    expect(within(form).getByTestId('totp-secret').textContent).toBe('NEWS ECRE TNEW SECR ET');
    fireEvent.change(within(form).getByLabelText('Code from your new app'), { target: { value: '000000' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Confirm new authenticator' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('That code does not match the new authenticator.');
    fireEvent.change(within(form).getByLabelText('Code from your new app'), { target: { value: '135 790' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Confirm new authenticator' }));

    expect(await screen.findByText('Your new authenticator app is set up; the old one no longer works.')).toBeTruthy();
    expect(screen.queryByTestId('totp-secret')).toBeNull();
    expect(fake.callsTo('account:totp-start')).toEqual([{ password: 'the current password' }]);
    expect(fake.callsTo('account:totp-confirm')).toEqual([{ totp: '000000' }, { totp: '135790' }]);
  });

  it('sets the idle lock in minutes, within 1 to 720', async () => {
    const { fake } = renderAccount();
    await openAccount();
    expect(await screen.findByText(/signs you out after 15 minutes without activity/)).toBeTruthy();
    const form = screen.getByRole('form', { name: 'Idle lock' });
    const field = within(form).getByLabelText('Minutes without activity');
    fireEvent.change(field, { target: { value: '0' } });
    expect(within(form).getByRole<HTMLButtonElement>('button', { name: 'Save' }).disabled).toBe(true);
    fireEvent.change(field, { target: { value: '5' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/signs you out after 5 minutes without activity/)).toBeTruthy();
    expect(fake.callsTo('lock:configure')).toEqual([{ idle_lock_minutes: 5 }]);
  });

  it('shows an idle lock set at launch without a way to change it', async () => {
    renderAccount({ lock: { idle_lock_seconds: 30, source: 'flag' } });
    await openAccount();
    expect(await screen.findByText(/after 30 seconds without activity\. It was set when the console was started/)).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Idle lock' })).toBeNull();
  });
});
