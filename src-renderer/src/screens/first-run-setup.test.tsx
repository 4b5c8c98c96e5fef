import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppInfo } from '../../../contracts/ipc';
import { queryKeys } from '../queries';
import { appInfo, enrollment, fail, recoveryCodes, signedIn, signedOut } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(cleanup);

const PASSWORD = 'a long enough passphrase';

function renderSetup(state: { info: AppInfo }) {
  return renderConsole({
    'app:info': () => ({ result: state.info }),
    'session:status': () => ({ result: signedOut }),
    'setup:enroll': () => {
      state.info = appInfo('ready');
      return { result: enrollment };
    },
  });
}

function fill({ username = 'alice', password = PASSWORD, confirm = PASSWORD } = {}) {
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: username } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: confirm } });
}

function create() {
  fireEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
}

describe('first-run setup', () => {
  it('checks that the passwords match before sending', async () => {
    const { fake } = renderSetup({ info: appInfo('setup_required') });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill({ confirm: `${PASSWORD}!` });
    create();

    expect(screen.getByRole('alert').textContent).toContain('The two passwords do not match.');
    expect(screen.getByLabelText('Confirm password').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsTo('setup:enroll')).toEqual([]);
  });

  it('applies the contract rules for username and password before sending', async () => {
    const { fake } = renderSetup({ info: appInfo('setup_required') });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill({ username: 'Alice Admin', password: 'short', confirm: 'short' });
    create();

    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Choose a username of 3 to 64 characters');
    expect(alert.textContent).toContain('Choose a password of at least 12 characters.');
    expect(alert.textContent).not.toContain('do not match');
    expect(fake.callsTo('setup:enroll')).toEqual([]);
  });

  it('shows the QR code and the grouped secret, takes a first code, shows the recovery codes once, then signs in', async () => {
    const state = { info: appInfo('setup_required'), session: signedOut };
    const { fake } = renderConsole({
      'app:info': () => ({ result: state.info }),
      'session:status': () => ({ result: state.session }),
      'setup:enroll': () => {
        state.info = appInfo('ready');
        return { result: enrollment };
      },
      'enrollment:confirm': () => {
        state.session = signedIn;
        return { result: { session: signedIn, recovery_codes: recoveryCodes } };
      },
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();

    expect(await screen.findByRole('heading', { name: 'Set up your authenticator app' })).toBeTruthy();
    expect(fake.callsTo('setup:enroll')).toEqual([{ username: 'alice', password: PASSWORD }]);
    expect(screen.getByText(/The administrator/).textContent).toContain('alice');
    expect(screen.getByRole('img', { name: 'QR code to add alice to an authenticator app' })).toBeTruthy();
    expect(screen.getByTestId('totp-secret').textContent).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP');
    expect(screen.getByTestId('totp-uri').textContent).toBe(enrollment.otpauth_uri);
    expect(screen.getByRole('button', { name: 'Copy secret key' })).toBeTruthy();
    expect(screen.queryByLabelText('Password')).toBeNull();

    fireEvent.change(screen.getByLabelText('Code from your app'), { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm and finish' }));

    expect(await screen.findByRole('heading', { name: 'Save your recovery codes' })).toBeTruthy();
    // The password typed at setup confirms the enrollment; it is not asked for again.
    expect(fake.callsTo('enrollment:confirm')).toEqual([{ username: 'alice', password: PASSWORD, totp: '123456' }]);
    expect(within(screen.getByTestId('recovery-codes')).getAllByRole('listitem').map((item) => item.textContent)).toEqual(recoveryCodes);
    expect(screen.queryByTestId('totp-secret')).toBeNull();
    const next = screen.getByRole('button', { name: 'Continue' });
    expect(next.hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByLabelText('I have saved these codes somewhere safe'));
    fireEvent.click(next);

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
    expect(screen.queryByTestId('recovery-codes')).toBeNull();
  });

  it('keeps the enrollment on screen with the reason when the code is wrong, and asks for a 6-digit code first', async () => {
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('setup_required') }),
      'session:status': () => ({ result: signedOut }),
      'setup:enroll': () => ({ result: enrollment }),
      'enrollment:confirm': () => fail('invalid_credentials', 'wrong'),
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });
    fill();
    create();
    await screen.findByRole('heading', { name: 'Set up your authenticator app' });

    fireEvent.click(screen.getByRole('button', { name: 'Confirm and finish' }));
    expect(screen.getByRole('alert').textContent).toContain('Enter the 6-digit code');
    expect(fake.callsTo('enrollment:confirm')).toEqual([]);

    fireEvent.change(screen.getByLabelText('Code from your app'), { target: { value: '654321' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm and finish' }));
    expect((await screen.findByRole('alert')).textContent).toContain('That code does not match. Check that the clock');
    expect(screen.getByTestId('totp-secret')).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Code from your app').value).toBe('');
  });

  it('goes back to sign-in from the enrollment even if app:info still says setup_required', async () => {
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('setup_required') }),
      'session:status': () => ({ result: signedOut }),
      'setup:enroll': () => ({ result: enrollment }),
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();
    fireEvent.click(await screen.findByRole('button', { name: 'Back to sign-in' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Username').value).toBe('alice');
    expect(screen.queryByRole('heading', { name: 'Set up Bulkhead' })).toBeNull();
    expect(fake.callsTo('setup:enroll')).toHaveLength(1);
  });

  it('keeps the enrollment on screen when app:info changes underneath it', async () => {
    const state = { info: appInfo('setup_required') };
    const { fake, queryClient } = renderSetup(state);
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });
    fill();
    create();
    await screen.findByRole('heading', { name: 'Set up your authenticator app' });

    // state.info is now "ready": a refetch (focus, event) must not skip the enrollment.
    await act(async () => {
      fake.emit('controlplane:status', appInfo('ready').control_plane);
      await queryClient.refetchQueries();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let react-query notify and React commit
    });
    expect(queryClient.getQueryData<AppInfo>(queryKeys.appInfo)?.control_plane.state).toBe('ready');

    expect(screen.getByTestId('totp-secret')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Sign in to Bulkhead' })).toBeNull();
  });

  it('moves on to sign-in when the console is already initialized', async () => {
    const state = { info: appInfo('setup_required') };
    renderConsole({
      'app:info': () => ({ result: state.info }),
      'session:status': () => ({ result: signedOut }),
      'setup:enroll': () => {
        state.info = appInfo('ready');
        return fail('already_initialized', 'Bulkhead already has an administrator.');
      },
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
  });

  it('shows a server-side rejection with the field it concerns', async () => {
    renderConsole({
      'app:info': () => ({ result: appInfo('setup_required') }),
      'setup:enroll': () => fail('invalid_request', 'password: too common', { issues: [{ path: 'password', message: 'too common' }] }),
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();

    expect((await screen.findByRole('alert')).textContent).toContain('Check this field: Password (too common).');
  });
});
