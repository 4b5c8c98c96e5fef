import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppInfo, type ConnectionView, type SessionStatus } from '../../../contracts/ipc';
import { appInfo, embeddedConnection, fail, remoteConnection, signedIn, signedOut } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(cleanup);

const testResult = {
  url: 'https://eu.example.net:8443',
  matched: 'ca' as const,
  chain: [
    { subject: 'CN=localhost', issuer: 'CN=Bulkhead CA, O=Bulkhead', fingerprint: '11:22', valid_to: '2027-01-01T00:00:00.000Z' },
    { subject: 'CN=Bulkhead CA, O=Bulkhead', issuer: 'CN=Bulkhead CA, O=Bulkhead', fingerprint: '33:44', valid_to: '2035-01-01T00:00:00.000Z' },
  ],
};
const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A console over two connections whose switch really changes what app:info and session:status answer. */
function twoConnections(options: { mode?: AppInfo['mode'] } = {}) {
  let items: ConnectionView[] = [embeddedConnection(), remoteConnection()];
  const sessions: Record<string, SessionStatus> = { embedded: signedIn, c_0123456789abcdef: signedOut };
  const active = () => items.find((item) => item.active) ?? items[0];
  const rendered = renderConsole({
    'app:info': () => ({ result: { ...appInfo('ready'), mode: options.mode ?? 'electron', control_plane: (active() ?? embeddedConnection()).status } }),
    'session:status': () => ({ result: sessions[active()?.id ?? 'embedded'] ?? signedOut }),
    'connections:list': () => ({ result: { items } }),
    'connections:switch': (request) => {
      items = items.map((item) => ({ ...item, active: item.id === request.id }));
      return { result: sessions[request.id] ?? signedOut };
    },
    'connections:test': () => ({ result: testResult }),
    'connections:remove': (request) => {
      items = items.filter((item) => item.id !== request.id);
      return { result: { removed: true } };
    },
  });
  return { ...rendered, setItems: (next: ConnectionView[]) => (items = next) };
}

async function openConnectionsScreen() {
  await screen.findByRole('heading', { name: 'Overview' });
  fireEvent.click(within(screen.getByRole('navigation', { name: 'Console sections' })).getByRole('link', { name: 'Connections' }));
  return screen.findByRole('heading', { name: 'Connections' });
}

describe('the header connection switcher', () => {
  it('shows the active connection and switches only when asked, to the other one\'s sign-in', async () => {
    const { fake } = twoConnections();
    const header = await screen.findByRole('banner');
    const current = await within(header).findByRole('button', { name: /Embedded.*Switch connection/ });
    expect(current.getAttribute('aria-expanded')).toBe('false');

    fireEvent.click(current);
    const menu = screen.getByRole('group', { name: 'Switch connection' });
    expect(within(menu).getByText('Active').getAttribute('aria-current')).toBe('true');
    expect(within(menu).getByText(/Signed in as alice/)).toBeTruthy();
    expect(within(menu).getByText(/eu\.example\.net:8443 · Ready · Not signed in/)).toBeTruthy();
    expect(fake.callsTo('connections:switch')).toEqual([]);

    fireEvent.click(within(menu).getByRole('button', { name: 'Switch to Region EU' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Bulkhead' })).toBeTruthy();
    expect(fake.callsTo('connections:switch')).toEqual([{ id: 'c_0123456789abcdef' }]);
    // Before sign-in the bar says which connection the sign-in is for.
    const bar = screen.getByRole('region', { name: 'Connection' });
    expect(await within(bar).findByText('Region EU')).toBeTruthy();

    // And back: the embedded connection's session was kept.
    fireEvent.click(within(bar).getByRole('button', { name: /Switch connection/ }));
    fireEvent.click(within(bar).getByRole('button', { name: 'Switch to Embedded' }));
    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeTruthy();
  });

  it('closes with Escape, without switching', async () => {
    twoConnections();
    const current = await within(await screen.findByRole('banner')).findByRole('button', { name: /Switch connection/ });
    fireEvent.click(current);
    fireEvent.keyDown(screen.getByRole('group', { name: 'Switch connection' }), { key: 'Escape' });
    expect(screen.queryByRole('group', { name: 'Switch connection' })).toBeNull();
    expect(current.getAttribute('aria-expanded')).toBe('false');
  });

  it('shows a switch the console refused', async () => {
    const { fake } = twoConnections();
    fake.handle('connections:switch', () => fail('not_found', 'There is no such connection.'));
    fireEvent.click(await within(await screen.findByRole('banner')).findByRole('button', { name: /Switch connection/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Switch to Region EU' }));
    expect((await screen.findByRole('alert')).textContent).toContain('There is no such connection.');
    expect(screen.getByRole('heading', { name: 'Overview' })).toBeTruthy();
  });
});

describe('the connections screen', () => {
  it('lists each connection with its address, pin, state and session, and says where the key is in browser mode', async () => {
    twoConnections({ mode: 'browser' });
    await openConnectionsScreen();
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]?.textContent).toContain("This console's own CA");
    expect(rows[1]?.textContent).toContain('Signed in as alice');
    expect(rows[2]?.textContent).toContain('CA certificate');
    expect(rows[2]?.textContent).toContain('CD:CD');
    expect(screen.getByTestId('key-protection').textContent).toMatch(/in a file only your user can read \(0600\).*browser mode has no OS keychain/);
  });

  it('says the key is sealed by the keychain when it is', async () => {
    const { setItems } = twoConnections();
    setItems([embeddedConnection({ key_protection: 'os_keychain' })]);
    await openConnectionsScreen();
    expect(screen.queryByTestId('key-protection')).toBeNull();
    expect(screen.getByText(/deployment key is sealed by this computer.s keychain/)).toBeTruthy();
  });

  it('tests a new connection, then adds it with the CA certificate pasted', async () => {
    const { fake } = twoConnections();
    fake.handle('connections:add', (request) => ({ result: remoteConnection({ id: 'c_fedcba9876543210', name: request.name }) }));
    await openConnectionsScreen();
    const form = screen.getByRole('form', { name: 'Add a remote control plane' });
    const add = within(form).getByRole<HTMLButtonElement>('button', { name: 'Add connection' });
    expect(add.disabled).toBe(true);

    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: ' Region US ' } });
    fireEvent.change(within(form).getByLabelText('Address'), { target: { value: 'https://us.example.net:8443' } });
    fireEvent.change(within(form).getByLabelText('CA certificate'), { target: { value: caPem } });
    fireEvent.click(within(form).getByRole('button', { name: 'Test connection' }));

    const result = await within(form).findByRole('status');
    expect(result.textContent).toContain('Reached https://eu.example.net:8443');
    expect(result.textContent).toContain('signed by the pinned CA');
    expect(fake.callsTo('connections:test')).toEqual([{ url: 'https://us.example.net:8443', ca_pem: caPem }]);

    fireEvent.click(add);
    await waitFor(() => {
      expect(fake.callsTo('connections:add')).toEqual([{ name: 'Region US', url: 'https://us.example.net:8443', ca_pem: caPem }]);
    });
    await waitFor(() => {
      expect(within(form).getByLabelText<HTMLInputElement>('Name').value).toBe('');
    });
  });

  it('reads the CA certificate from a chosen file', async () => {
    twoConnections();
    await openConnectionsScreen();
    const form = screen.getByRole('form', { name: 'Add a remote control plane' });
    const file = new File([caPem], 'ca.crt', { type: 'application/x-x509-ca-cert' });
    fireEvent.change(within(form).getByLabelText('Choose the CA certificate file'), { target: { files: [file] } });
    await waitFor(() => {
      expect(within(form).getByLabelText<HTMLTextAreaElement>('CA certificate').value).toBe(caPem);
    });
  });

  it('adds by fingerprint, and shows a refusal in the console\'s own words', async () => {
    const { fake } = twoConnections();
    const refusal = 'The server at https://us.example.net:8443 is not the pinned control plane: none of the certificates it presented has the pinned SHA-256 fingerprint 00:00.';
    fake.handle('connections:add', () => fail('control_plane_untrusted', refusal));
    await openConnectionsScreen();
    const form = screen.getByRole('form', { name: 'Add a remote control plane' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Region US' } });
    fireEvent.change(within(form).getByLabelText('Address'), { target: { value: 'https://us.example.net:8443' } });
    fireEvent.click(within(form).getByLabelText(/A certificate fingerprint/));
    fireEvent.change(within(form).getByLabelText('Fingerprint'), { target: { value: ' 00:00 ' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add connection' }));

    expect((await within(form).findByRole('alert')).textContent).toContain(refusal);
    expect(fake.callsTo('connections:add')).toEqual([{ name: 'Region US', url: 'https://us.example.net:8443', fingerprint: '00:00' }]);
  });

  it('shows an unreachable address as the console says it, not a generic sentence', async () => {
    const { fake } = twoConnections();
    fake.handle('connections:test', () => fail('control_plane_unreachable', 'The control plane at https://us.example.net:8443 cannot be reached (connect ECONNREFUSED 10.0.0.1:8443).'));
    await openConnectionsScreen();
    const form = screen.getByRole('form', { name: 'Add a remote control plane' });
    fireEvent.change(within(form).getByLabelText('Address'), { target: { value: 'https://us.example.net:8443' } });
    fireEvent.change(within(form).getByLabelText('CA certificate'), { target: { value: caPem } });
    fireEvent.click(within(form).getByRole('button', { name: 'Test connection' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('ECONNREFUSED 10.0.0.1:8443');
  });

  it('removes a remote connection only once confirmed; the embedded one has no remove', async () => {
    const { fake } = twoConnections();
    await openConnectionsScreen();
    expect(screen.queryByRole('button', { name: 'Remove Embedded' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Remove Region EU' }));
    const confirm = screen.getByRole('group', { name: 'Remove Region EU' });
    expect(fake.callsTo('connections:remove')).toEqual([]);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Confirm remove' }));
    await waitFor(() => {
      expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2);
    });
    expect(fake.callsTo('connections:remove')).toEqual([{ id: 'c_0123456789abcdef' }]);
  });

  it('is reachable before sign-in, from the connection bar', async () => {
    renderConsole({
      'app:info': () => ({ result: appInfo('setup_required') }),
      'connections:list': () => ({ result: { items: [embeddedConnection({ session: { signed_in: false, username: null } })] } }),
    });
    await screen.findByRole('heading', { name: 'Set up Bulkhead' });
    const bar = screen.getByRole('region', { name: 'Connection' });
    fireEvent.click(await within(bar).findByRole('button', { name: /Switch connection/ }));
    fireEvent.click(within(bar).getByRole('button', { name: 'Manage connections' }));
    expect(within(bar).getByRole('heading', { name: 'Connections' })).toBeTruthy();
    expect(within(bar).getByRole('form', { name: 'Add a remote control plane' })).toBeTruthy();
    fireEvent.click(within(bar).getByRole('button', { name: 'Close connections' }));
    expect(within(bar).queryByRole('heading', { name: 'Connections' })).toBeNull();
  });
});
