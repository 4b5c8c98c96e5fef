import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppInfo } from '../../../contracts/ipc';
import { queryKeys } from '../queries';
import { appInfo, enrollment, fail, signedOut } from '../testing/fixtures';
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

  it('shows the enrollment once, then continues to sign-in', async () => {
    const state = { info: appInfo('setup_required') };
    const { fake } = renderSetup(state);
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();

    expect(await screen.findByRole('heading', { name: 'Add Bulkhead to your authenticator app' })).toBeTruthy();
    expect(fake.callsTo('setup:enroll')).toEqual([{ username: 'alice', password: PASSWORD }]);
    expect(screen.getByText(enrollment.secret)).toBeTruthy();
    expect(screen.getByText(enrollment.otpauth_uri)).toBeTruthy();
    expect(screen.getByText('This is shown only once.')).toBeTruthy();
    expect(screen.getByText(/will not show this secret again/)).toBeTruthy();
    expect(screen.queryByLabelText('Password')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'I have added it to my authenticator' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(screen.queryByText(enrollment.secret)).toBeNull();
    expect(screen.queryByText(enrollment.otpauth_uri)).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>('Username').value).toBe('alice');
    expect(fake.callsTo('setup:enroll')).toHaveLength(1);
  });

  it('goes on to sign-in after the enrollment even if app:info still says setup_required', async () => {
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('setup_required') }),
      'session:status': () => ({ result: signedOut }),
      'setup:enroll': () => ({ result: enrollment }),
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });

    fill();
    create();
    fireEvent.click(await screen.findByRole('button', { name: 'I have added it to my authenticator' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Set up Bulkhead' })).toBeNull();
    expect(fake.callsTo('setup:enroll')).toHaveLength(1);
  });

  it('keeps the enrollment on screen when app:info changes underneath it', async () => {
    const state = { info: appInfo('setup_required') };
    const { fake, queryClient } = renderSetup(state);
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });
    fill();
    create();
    await screen.findByRole('heading', { name: 'Add Bulkhead to your authenticator app' });

    // state.info is now "ready": a refetch (focus, event) must not skip the one-time secret.
    await act(async () => {
      fake.emit('controlplane:status', appInfo('ready').control_plane);
      await queryClient.refetchQueries();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let react-query notify and React commit
    });
    expect(queryClient.getQueryData<AppInfo>(queryKeys.appInfo)?.control_plane.state).toBe('ready');

    expect(screen.getByText(enrollment.secret)).toBeTruthy();
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
