import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { type SessionStatus } from '../../../contracts/ipc';
import { type Operator } from '../../../contracts/operators';
import { appInfo, fail, operator as alice, signedIn } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

afterEach(cleanup);

const bob: Operator = { id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', username: 'bob', roles: ['provider_operator'], created_at: '2025-02-01T00:00:00.000Z', totp_confirmed_at: '2025-02-01T00:05:00.000Z', recovery_codes_left: 7 };

function renderOperators(session: SessionStatus = signedIn) {
  const state = { operators: [alice, bob] };
  const view = renderConsole({
    'app:info': () => ({ result: appInfo('ready') }),
    'session:status': () => ({ result: session }),
    'operators:list': () => ({ result: { items: state.operators } }),
    'operators:create': (request) => {
      const created: Operator = { id: '11111111-2222-4333-8444-555555555555', username: request.username, roles: request.roles, created_at: '2025-03-01T00:00:00.000Z', totp_confirmed_at: null, recovery_codes_left: 0 };
      state.operators = [...state.operators, created];
      return { result: { operator: created, ...(request.password === undefined ? { initial_password: 'generated-Initial-Pw_123' } : {}) } };
    },
    'operators:reset-totp': (request) => {
      state.operators = state.operators.map((item) => (item.id === request.id ? { ...item, totp_confirmed_at: null, recovery_codes_left: 0 } : item));
      return { result: state.operators.find((item) => item.id === request.id) ?? bob };
    },
    'operators:remove': (request) => {
      state.operators = state.operators.filter((item) => item.id !== request.id);
      return { result: { removed: true } };
    },
  });
  return { ...view, state };
}

async function openOperators() {
  await screen.findByRole('heading', { name: 'Overview' });
  fireEvent.click(within(screen.getByRole('navigation', { name: 'Console sections' })).getByRole('link', { name: 'Operators' }));
  await screen.findByRole('heading', { name: 'Operators' });
  return screen.findByRole('row', { name: /bob/ });
}

describe('operators', () => {
  it('lists operators with their roles, authenticator and recovery codes; no actions on oneself', async () => {
    renderOperators();
    const row = await openOperators();
    expect(row.textContent).toContain('Provider operator');
    expect(row.textContent).toContain('7 left');
    const own = screen.getByRole('row', { name: /alice/ });
    expect(own.textContent).toContain('(you)');
    expect(within(own).queryByRole('button')).toBeNull();
  });

  it('adds an operator with roles and shows a generated initial password once; it is pending until it enrolls', async () => {
    const { fake } = renderOperators();
    await openOperators();
    const form = screen.getByRole('form', { name: 'New operator' });
    fireEvent.change(within(form).getByLabelText('Username'), { target: { value: 'Carol Ops' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add operator' }));
    expect(screen.getByRole('alert').textContent).toContain('Choose a username');
    fireEvent.change(within(form).getByLabelText('Username'), { target: { value: 'carol' } });
    fireEvent.click(within(form).getByLabelText(/Billing viewer/));
    fireEvent.click(within(form).getByLabelText(/Provider operator/));
    fireEvent.click(within(form).getByRole('button', { name: 'Add operator' }));

    expect((await screen.findByTestId('initial-password')).textContent).toBe('generated-Initial-Pw_123');
    expect(fake.callsTo('operators:create')).toEqual([{ username: 'carol', roles: ['billing_viewer'] }]);
    expect((await screen.findByRole('row', { name: /carol/ })).textContent).toContain('set up at next sign-in');
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('initial-password')).toBeNull();
  });

  it('refuses a short chosen password before sending, and sends a good one', async () => {
    const { fake } = renderOperators();
    await openOperators();
    const form = screen.getByRole('form', { name: 'New operator' });
    fireEvent.change(within(form).getByLabelText('Username'), { target: { value: 'dave' } });
    fireEvent.change(within(form).getByLabelText('Initial password'), { target: { value: 'short' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add operator' }));
    expect(screen.getByRole('alert').textContent).toContain('at least 12 characters');
    fireEvent.change(within(form).getByLabelText('Initial password'), { target: { value: 'dave-long-password' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add operator' }));
    expect(await screen.findByText(/signs in with the password you chose/)).toBeTruthy();
    expect(fake.callsTo('operators:create')).toEqual([{ username: 'dave', roles: ['provider_operator'], password: 'dave-long-password' }]);
  });

  it("resets another operator's authenticator after a confirmation", async () => {
    const { fake } = renderOperators();
    await openOperators();
    fireEvent.click(screen.getByRole('button', { name: 'Reset the authenticator of bob' }));
    expect(screen.getByRole('form', { name: 'Reset the authenticator of bob' }).textContent).toContain('set up a new authenticator app at their next sign-in');
    expect(fake.callsTo('operators:reset-totp')).toEqual([]);
    fireEvent.click(screen.getByRole('button', { name: 'Confirm reset' }));
    await within(await screen.findByRole('row', { name: /bob/ })).findByText('set up at next sign-in');
    expect(fake.callsTo('operators:reset-totp')).toEqual([{ id: bob.id }]);
  });

  it('removes an operator after a confirmation, and shows a refusal with its reason', async () => {
    const { fake } = renderOperators();
    await openOperators();
    fireEvent.click(screen.getByRole('button', { name: 'Remove bob' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(fake.callsTo('operators:remove')).toEqual([]);
    fake.handle('operators:remove', () => fail('conflict', 'The last provider admin cannot be deleted.'));
    fireEvent.click(screen.getByRole('button', { name: 'Remove bob' }));
    fireEvent.click(screen.getByRole('button', { name: 'Confirm remove' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The last provider admin cannot be deleted.');
    fake.handle('operators:remove', () => ({ result: { removed: true } }));
    fireEvent.click(screen.getByRole('button', { name: 'Confirm remove' }));
    await screen.findByRole('row', { name: /alice/ });
    expect(fake.callsTo('operators:remove')).toEqual([{ id: bob.id }, { id: bob.id }]);
  });

  it('is not offered to operators who are not provider admins', async () => {
    const { fake } = renderOperators({ ...signedIn, operator: bob });
    await screen.findByRole('heading', { name: 'Overview' });
    const nav = screen.getByRole('navigation', { name: 'Console sections' });
    expect(within(nav).queryByRole('button', { name: 'Operators' })).toBeNull();
    expect(within(nav).getByRole('link', { name: 'Account' })).toBeTruthy();
    expect(fake.callsTo('operators:list')).toEqual([]);
  });
});
