import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorCode } from '../../../contracts/errors';
import { type IpcEnvelope, type SessionStatus } from '../../../contracts/ipc';
import { appInfo, fail, signedIn, signedOut } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(cleanup);

function renderSignIn(login: (request: unknown) => IpcEnvelope<SessionStatus> | Promise<IpcEnvelope<SessionStatus>>) {
  return renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: signedOut }),
    'session:login': login,
  });
}

function fill({ username = 'alice', password = 'correct horse battery', code = '123456' } = {}) {
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: username } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.change(screen.getByLabelText('Authenticator code'), { target: { value: code } });
}

function submit() {
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('sign-in', () => {
  it('shows the sign-in form with labelled fields and code hints for the browser', async () => {
    renderSignIn(() => ({ result: signedIn }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    const code = screen.getByLabelText('Authenticator code');
    expect(code.getAttribute('inputmode')).toBe('numeric');
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(screen.getByLabelText('Password').getAttribute('type')).toBe('password');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('requires all three fields and sends nothing when they are empty', async () => {
    const { fake } = renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    submit();

    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Enter your username.');
    expect(alert.textContent).toContain('Enter your password.');
    expect(alert.textContent).toContain('Enter the 6-digit code from your authenticator app.');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsTo('session:login')).toEqual([]);
  });

  it.each(['12345', '1234567', '12a456', 'abcdef'])('does not send the bad code %j', async (code) => {
    const { fake } = renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill({ code });
    submit();

    expect(screen.getByRole('alert').textContent).toContain('The authenticator code is exactly 6 digits.');
    expect(screen.getByLabelText('Authenticator code').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBeNull();
    expect(fake.callsTo('session:login')).toEqual([]);
  });

  it('sends the trimmed username and the code without spaces', async () => {
    const { fake } = renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill({ username: ' alice ', password: ' pass with spaces ', code: '123 456' });
    submit();

    await screen.findByRole('heading', { name: 'Overview' });
    expect(fake.callsTo('session:login')).toEqual([{ username: 'alice', password: ' pass with spaces ', totp: '123456' }]);
  });

  it.each<[string, ErrorCode, Record<string, unknown>, string]>([
    ['invalid_credentials', 'invalid_credentials', {}, 'The username, password or code is wrong.'],
    ['locked_out with a retry time', 'locked_out', { retry_after_seconds: 900 }, 'Too many failed sign-in attempts. Sign-in is locked for now; try again in 15 minutes.'],
    ['locked_out without a retry time', 'locked_out', {}, 'Too many failed sign-in attempts. Sign-in is locked for now; try again later.'],
    [
      'invalid_request',
      'invalid_request',
      { issues: [{ path: 'totp', message: 'a 6-digit code' }] },
      'Check this field: Authenticator code (a 6-digit code).',
    ],
    ['control_plane_unreachable', 'control_plane_unreachable', {}, 'Bulkhead could not reach the control plane. Check that it is running and reachable, then try again.'],
    ['session_expired', 'session_expired', {}, 'Your session has expired. Sign in again.'],
    ['any other code', 'rate_limited', {}, 'Slow down: 3 attempts per minute.'],
  ])('shows the specific message for %s', async (_name, code, details, expected) => {
    const { fake } = renderSignIn(() => fail(code, code === 'rate_limited' ? 'Slow down: 3 attempts per minute.' : `server text for ${code}`, details));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill();
    submit();

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(expected)).toBeTruthy();
    expect(alert.textContent).not.toContain(`server text for ${code}`);
    expect(fake.callsTo('session:login')).toHaveLength(1);
    // Still on the sign-in screen, with a fresh code field for the next attempt.
    expect(screen.getByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Authenticator code').value).toBe('');
    expect(screen.getByLabelText<HTMLInputElement>('Username').value).toBe('alice');
  });

  it('never says which factor was wrong', async () => {
    renderSignIn(() => fail('invalid_credentials', 'TOTP mismatch for alice'));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill();
    submit();

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).not.toMatch(/TOTP mismatch/);
  });

  it('disables the submit button while the login is pending', async () => {
    let answer: (envelope: IpcEnvelope<SessionStatus>) => void = () => undefined;
    const { fake } = renderSignIn(() => new Promise((resolve) => (answer = resolve)));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill();
    submit();

    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Sign in' });
    await waitFor(() => {
      expect(button.disabled).toBe(true);
    });
    submit();
    expect(fake.callsTo('session:login')).toHaveLength(1);

    answer(fail('invalid_credentials', 'no'));
    await screen.findByRole('alert');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Sign in' }).disabled).toBe(false);
  });

  it('clears a previous server error when the next attempt fails validation', async () => {
    renderSignIn(() => fail('invalid_credentials', 'no'));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    fill();
    submit();
    await screen.findByText('The username, password or code is wrong.');

    fill({ code: '12' });
    submit();

    expect(screen.queryByText('The username, password or code is wrong.')).toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('exactly 6 digits');
  });

  it('switches to the signed-in shell after a successful login', async () => {
    renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill();
    submit();

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Sign in to Bulkhead' })).toBeNull();
    expect(screen.queryByLabelText('Password')).toBeNull();
  });
});
