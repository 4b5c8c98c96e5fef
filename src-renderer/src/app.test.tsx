import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type SessionStatus } from '../../contracts/ipc';
import { appInfo, embeddedConnection, fail, remoteConnection, signedIn, signedOut } from './testing/fixtures';
import { renderConsole } from './testing/render-console';

afterEach(cleanup);

describe('screen selection', () => {
  it('polls while the control plane is starting, then shows sign-in', async () => {
    let infoCalls = 0;
    const { fake } = renderConsole({
      'app:info': () => {
        infoCalls += 1;
        return { result: infoCalls === 1 ? appInfo('starting') : appInfo('ready') };
      },
      'session:status': () => ({ result: signedOut }),
    });

    expect(await screen.findByRole('heading', { name: 'Starting the control plane' })).toBeTruthy();
    expect(fake.callsTo('session:status')).toEqual([]);

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' }, { timeout: 3000 })).toBeTruthy();
    expect(infoCalls).toBeGreaterThanOrEqual(2);
  });

  it('shows why the control plane failed and checks again on request (controlplane:retry starts it again)', async () => {
    let info = appInfo('failed', 'Port 7443 is already in use.');
    const { fake } = renderConsole({
      'app:info': () => ({ result: info }),
      'session:status': () => ({ result: signedOut }),
      'controlplane:retry': () => {
        info = appInfo('ready');
        return { result: info.control_plane };
      },
    });

    expect(await screen.findByRole('heading', { name: 'The control plane could not start' })).toBeTruthy();
    expect(within(screen.getByRole('alert')).getByText('Port 7443 is already in use.')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(fake.callsTo('controlplane:retry')).toEqual([{}]);
  });

  it('shows a crashed embedded control plane with its restart countdown, and restarts it now on request', async () => {
    const crashed = appInfo('crashed', 'The embedded control plane stopped unexpectedly: killed by SIGKILL');
    crashed.control_plane = { ...crashed.control_plane, retry_at: new Date(Date.now() + 8_000).toISOString(), restarts: 3 };
    let info = crashed;
    const { fake } = renderConsole({
      'app:info': () => ({ result: info }),
      'session:status': () => ({ result: signedIn }),
      'connections:list': () => ({ result: { items: [embeddedConnection({ status: info.control_plane })] } }),
      'controlplane:retry': () => {
        info = appInfo('ready');
        return { result: info.control_plane };
      },
    });

    expect(await screen.findByRole('heading', { name: 'The embedded control plane stopped' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('killed by SIGKILL');
    expect(screen.getByTestId('restart-status').textContent).toMatch(/^Restarting it in [78] s \(restart 3\)\.$/);

    fireEvent.click(screen.getByRole('button', { name: 'Restart now' }));

    // The session was kept in the main process: straight back to the shell.
    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
    expect(fake.callsTo('controlplane:retry')).toEqual([{}]);
  });

  it('says a restart is under way, with nothing to press', async () => {
    renderConsole({
      'app:info': () => ({ result: { ...appInfo('restarting', 'Restarting the embedded control plane (restart 2).'), control_plane: { ...appInfo().control_plane, state: 'restarting', message: null, restarts: 2 } } }),
    });

    expect(await screen.findByRole('heading', { name: 'The embedded control plane stopped' })).toBeTruthy();
    expect(screen.getByTestId('restart-status').textContent).toBe('Restarting it now (restart 2)…');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Restart now' }).disabled).toBe(true);
  });

  it('says a remote control plane cannot be reached, not that it could not start', async () => {
    renderConsole({
      'app:info': () => ({ result: { ...appInfo(), control_plane: remoteConnection({ status: { ...remoteConnection().status, state: 'failed', message: 'The control plane at https://eu.example.net:8443 cannot be reached (connect ECONNREFUSED).' } }).status } }),
      'connections:list': () => ({ result: { items: [embeddedConnection({ active: false }), remoteConnection({ active: true })] } }),
    });

    expect(await screen.findByRole('heading', { name: 'The control plane cannot be reached' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('ECONNREFUSED');
    expect(await within(screen.getByRole('region', { name: 'Connection' })).findByText('Region EU')).toBeTruthy();
  });

  it('shows first-run setup when the control plane needs it', async () => {
    renderConsole({ 'app:info': () => ({ result: appInfo('setup_required') }) });

    expect(await screen.findByRole('heading', { name: 'Set up Bulkhead' })).toBeTruthy();
    expect(screen.getByLabelText('Confirm password')).toBeTruthy();
  });

  it('explains a console that cannot be reached at all', async () => {
    renderConsole({ 'app:info': () => fail('control_plane_unreachable', 'connect ECONNREFUSED') });

    expect(await screen.findByRole('heading', { name: 'The console is not answering' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('could not reach the control plane');
  });

  it('opens the signed-in shell for an existing session', async () => {
    renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedIn }),
      'connections:list': () => ({ result: { items: [embeddedConnection()] } }),
    });

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
    const header = screen.getByRole('banner');
    expect(within(header).getByText('Bulkhead')).toBeTruthy();
    expect(within(header).getByText('alice')).toBeTruthy();
    // Exactly once on the page, so an exact text lookup of the operator's name is unambiguous.
    expect(screen.getAllByText('alice')).toHaveLength(1);
    expect(within(header).getByText('Provider admin, Billing viewer')).toBeTruthy();
    expect(await within(header).findByText('Embedded')).toBeTruthy();
    expect(within(header).getByText('https://127.0.0.1:7443')).toBeTruthy();
    expect(within(header).getByRole('button', { name: /Switch connection/ }).getAttribute('title')).toBe('Embedded control plane at https://127.0.0.1:7443');
    const nav = screen.getByRole('navigation', { name: 'Console sections' });
    expect(within(nav).getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
  });
});

describe('session', () => {
  it('returns to sign-in on a session:changed event', async () => {
    let session: SessionStatus = signedIn;
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: session }),
    });
    await screen.findByRole('heading', { name: 'Overview' });

    session = signedOut;
    fake.emit('session:changed', signedOut);

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
  });

  it('signs out with session:logout', async () => {
    const { fake } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedIn }),
      'session:logout': () => ({ result: signedOut }),
    });
    await screen.findByRole('heading', { name: 'Overview' });

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(fake.callsTo('session:logout')).toEqual([{}]);
  });

  it('shows a failed sign-out and stays signed in', async () => {
    renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedIn }),
      'session:logout': () => fail('internal_error', 'The session store is busy.'),
    });
    await screen.findByRole('heading', { name: 'Overview' });

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    expect((await screen.findByRole('alert')).textContent).toContain('The session store is busy.');
    expect(screen.getByRole('heading', { name: 'Overview' })).toBeTruthy();
  });

  it('re-reads the session when a call answers session_expired', async () => {
    let session: SessionStatus = signedIn;
    renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: session }),
      'session:logout': () => {
        session = signedOut;
        return fail('session_expired', 'Expired.');
      },
    });
    await screen.findByRole('heading', { name: 'Overview' });

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
  });

  it('unsubscribes from console events when unmounted', async () => {
    const { fake, unmount } = renderConsole({
      'app:info': () => ({ result: appInfo('ready') }),
      'session:status': () => ({ result: signedOut }),
    });
    await screen.findByRole('heading', { name: 'Sign in to Bulkhead' });
    // session:changed, controlplane:status and session:locked.
    expect(fake.listenerCount()).toBe(3);

    unmount();

    expect(fake.listenerCount()).toBe(0);
  });
});
