import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorCode } from '../../../contracts/errors';
import { type IpcEnvelope, type SessionStatus } from '../../../contracts/ipc';
import { appInfo, enrollment, fail, recoveryCodes, signedIn, signedOut } from '../testing/fixtures';
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

  it('requires username and password and sends nothing without them; the code may be left empty', async () => {
    const { fake } = renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    submit();

    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Enter your username.');
    expect(alert.textContent).toContain('Enter your password.');
    expect(alert.textContent).not.toContain('code');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsTo('session:login')).toEqual([]);

    // Without a code the control plane decides: an enrolled operator is refused, a new one enrolls.
    fill({ code: '' });
    submit();
    await screen.findByRole('heading', { name: 'Overview' });
    expect(fake.callsTo('session:login')).toEqual([{ username: 'alice', password: 'correct horse battery' }]);
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

  it('retires a server error once the operator edits any field, and a field problem once that field is edited', async () => {
    renderSignIn(() => fail('invalid_credentials', 'no'));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    fill();
    submit();
    await screen.findByText('The username, password or code is wrong.');

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'another try' } });
    expect(screen.queryByText('The username, password or code is wrong.')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();

    fill({ code: '12' });
    submit();
    expect(screen.getByRole('alert').textContent).toContain('exactly 6 digits');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice2' } });
    expect(screen.getByRole('alert').textContent).toContain('exactly 6 digits');
    fireEvent.change(screen.getByLabelText('Authenticator code'), { target: { value: '123' } });
    expect(screen.queryByRole('alert')).toBeNull();
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

describe('sign-in: enrollment, recovery codes, replays and the idle lock', () => {
  it('sends an operator who has not set up an authenticator to its enrollment, then to its recovery codes and the shell', async () => {
    let session: SessionStatus = signedOut;
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: session }),
      'session:login': () => fail('enrollment_required', 'Set up your authenticator app first.'),
      'enrollment:start': () => ({ result: { ...enrollment, username: 'bob' } }),
      'enrollment:confirm': () => {
        session = signedIn;
        return { result: { session: signedIn, recovery_codes: recoveryCodes } };
      },
    });
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fill({ username: 'bob', password: 'bob initial password', code: '' });
    submit();

    expect(await screen.findByRole('heading', { name: 'Set up your authenticator app' })).toBeTruthy();
    expect(fake.callsTo('enrollment:start')).toEqual([{ username: 'bob', password: 'bob initial password' }]);
    expect(screen.getByRole('img', { name: 'QR code to add bob to an authenticator app' })).toBeTruthy();
    expect(screen.queryByText(/The administrator/)).toBeNull();

    fireEvent.change(screen.getByLabelText('Code from your app'), { target: { value: '246810' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm and finish' }));
    await screen.findByRole('heading', { name: 'Save your recovery codes' });
    expect(fake.callsTo('enrollment:confirm')).toEqual([{ username: 'bob', password: 'bob initial password', totp: '246810' }]);
    fireEvent.click(screen.getByLabelText('I have saved these codes somewhere safe'));
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
  });

  it("retires an enrollment's refused code once the operator types another", async () => {
    renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedOut }),
      'session:login': () => fail('enrollment_required', 'Set up your authenticator app first.'),
      'enrollment:start': () => ({ result: { ...enrollment, username: 'bob' } }),
      'enrollment:confirm': () => fail('invalid_credentials', 'no'),
    });
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    fill({ username: 'bob', password: 'bob initial password', code: '' });
    submit();
    await screen.findByRole('heading', { name: 'Set up your authenticator app' });

    fireEvent.change(screen.getByLabelText('Code from your app'), { target: { value: '246810' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm and finish' }));
    await screen.findByRole('alert');

    fireEvent.change(screen.getByLabelText('Code from your app'), { target: { value: '1' } });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('signs in with a recovery code instead of the authenticator code', async () => {
    const { fake } = renderSignIn(() => ({ result: signedIn }));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });

    fireEvent.click(screen.getByRole('button', { name: 'Use a recovery code instead' }));
    expect(screen.queryByLabelText('Authenticator code')).toBeNull();
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    submit();
    expect(screen.getByRole('alert').textContent).toContain('Enter one of your recovery codes.');
    fireEvent.change(screen.getByLabelText('Recovery code'), { target: { value: 'not a code' } });
    submit();
    expect(screen.getByRole('alert').textContent).toContain('A recovery code is 16 letters and digits');
    expect(fake.callsTo('session:login')).toEqual([]);

    fireEvent.change(screen.getByLabelText('Recovery code'), { target: { value: ' abcd-efgh-jklm-npqr ' } });
    submit();
    await screen.findByRole('heading', { name: 'Overview' });
    expect(fake.callsTo('session:login')).toEqual([{ username: 'alice', password: 'correct horse battery', recovery_code: 'abcd-efgh-jklm-npqr' }]);
  });

  it('says to wait for the next code when a code was just used', async () => {
    renderSignIn(() => fail('totp_replayed', 'That code was just used; wait for the next one.'));
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    fill();
    submit();
    expect((await screen.findByRole('alert')).textContent).toContain('That code was just used. Wait for the next code in your authenticator app');
  });

  it('says why after the console locked itself, until the next sign-in', async () => {
    let session: SessionStatus = signedIn;
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: session }),
      'session:login': () => {
        session = signedIn;
        return { result: signedIn };
      },
    });
    await screen.findByRole('heading', { name: 'Overview' });

    session = signedOut;
    act(() => {
      fake.emit('session:locked', { reason: 'idle', idle_lock_seconds: 900 });
      fake.emit('session:changed', signedOut);
    });

    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    const notice = screen.getByRole('status');
    expect(notice.textContent).toContain('Bulkhead locked itself.');
    expect(notice.textContent).toContain('Nobody used the console for 15 minutes');

    fill();
    submit();
    await screen.findByRole('heading', { name: 'Overview' });
    session = signedOut;
    act(() => {
      fake.emit('session:changed', signedOut);
    });
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    expect(screen.queryByText('Bulkhead locked itself.')).toBeNull();
  });
});
