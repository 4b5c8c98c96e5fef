import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { Password, providerRoles, Username, type CreatedOperator, type Operator, type ProviderRole } from '../../../contracts/operators';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { CopyButton } from '../identity/copy-button';
import '../identity/identity.css';

export const operatorKeys = { list: ['operators', 'list'] as const };

const roleLabels: Record<ProviderRole, string> = {
  provider_admin: 'Provider admin',
  provider_operator: 'Provider operator',
  billing_viewer: 'Billing viewer',
};

const roleHints: Record<ProviderRole, string> = {
  provider_admin: 'everything, operators too',
  provider_operator: 'everything but operators',
  billing_viewer: 'the license and the tenant list',
};

/** Who may administer operators: the control plane enforces it; the console only hides what would be refused. */
export function isProviderAdmin(operator: Operator): boolean {
  return operator.roles.includes('provider_admin');
}

type Pending = { id: string; action: 'reset' | 'remove' } | null;

/** Operators: who may use the provider plane, with which roles; add, remove, reset an authenticator. Provider admins only. */
export function OperatorsView({ operator: self }: { operator: Operator }) {
  const api = useApi();
  const client = useQueryClient();
  const admin = isProviderAdmin(self);
  const operators = useQuery({ queryKey: operatorKeys.list, queryFn: () => api.call('operators:list', {}), enabled: admin });
  const [pending, setPending] = useState<Pending>(null);
  const refresh = () => client.invalidateQueries({ queryKey: operatorKeys.list });

  if (!admin) {
    return (
      <section aria-labelledby="operators-heading">
        <h1 id="operators-heading">Operators</h1>
        <p className="muted">Only provider admins manage operators.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="operators-heading">
      <h1 id="operators-heading">Operators</h1>
      <p className="lead">
        Everyone who signs in to this control plane. A new operator signs in with the username and password you give them, then sets up
        their own authenticator app: you never see their second factor. Every change here is written to the provider ledger.
      </p>
      <NewOperatorForm onCreated={refresh} />
      {operators.isError ? <FormAlert title="Operators could not be loaded" messages={[describeError(operators.error)]} /> : null}
      {operators.data ? (
        <table className="table">
          <caption className="visually-hidden">Operators</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Roles</th>
              <th scope="col">Authenticator</th>
              <th scope="col">Recovery codes</th>
              <th scope="col">Added</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {operators.data.items.map((item) => (
              <OperatorRow key={item.id} operator={item} self={item.id === self.id} pending={pending?.id === item.id ? pending : null} setPending={setPending} onChanged={refresh} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function NewOperatorForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [roles, setRoles] = useState<ProviderRole[]>(['provider_operator']);
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [created, setCreated] = useState<{ result: CreatedOperator; passwordChosen: boolean } | null>(null);
  const create = useMutation({
    mutationFn: () => api.call('operators:create', { username: username.trim(), roles, ...(password === '' ? {} : { password }) }),
    onSuccess: async (result) => {
      setCreated({ result, passwordChosen: password !== '' });
      setUsername('');
      setPassword('');
      await onCreated();
    },
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const found: string[] = [];
    if (!Username.safeParse(username.trim()).success) found.push('Choose a username of 3 to 64 characters: lowercase letters, digits, dot, dash or underscore.');
    if (roles.length === 0) found.push('Give the operator at least one role.');
    if (password !== '' && !Password.safeParse(password).success) found.push('A password is at least 12 characters (or leave it empty to generate one).');
    setProblems(found);
    if (found.length > 0) return;
    setCreated(null);
    create.mutate();
  };
  return (
    <>
      <form className="form-inline" onSubmit={submit} aria-label="New operator" aria-busy={create.isPending} noValidate>
        <TextField label="Username" name="username" value={username} onChange={setUsername} autoComplete="off" maxLength={64} />
        <fieldset className="role-options">
          <legend>Roles</legend>
          {providerRoles.map((role) => (
            <div className="checkbox-field" key={role}>
              <input
                id={`new-operator-role-${role}`}
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(event) => {
                  setRoles((current) => (event.target.checked ? [...current, role] : current.filter((item) => item !== role)));
                }}
              />
              <label htmlFor={`new-operator-role-${role}`}>
                {roleLabels[role]} <span className="muted">({roleHints[role]})</span>
              </label>
            </div>
          ))}
        </fieldset>
        <TextField
          label="Initial password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          maxLength={1024}
          hint="At least 12 characters. Leave it empty and one is generated, shown once."
          required={false}
        />
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Add operator
        </button>
        <FormAlert title={problems.length > 0 ? undefined : 'The operator was not added'} messages={problems.length > 0 ? problems : create.isError ? [describeError(create.error, { username: 'Username', password: 'Initial password' })] : []} />
      </form>
      {created ? <CreatedNotice created={created.result} passwordChosen={created.passwordChosen} onDone={() => setCreated(null)} /> : null}
    </>
  );
}

function CreatedNotice({ created, passwordChosen, onDone }: { created: CreatedOperator; passwordChosen: boolean; onDone: () => void }) {
  const name = created.operator.username;
  return (
    <div className="notice" role="status">
      <p className="notice-title">Added {name}.</p>
      {created.initial_password ? (
        <>
          <p>Give {name} this initial password, shown only now. At their first sign-in they set up their authenticator app.</p>
          <p>
            <code className="secret" data-testid="initial-password">
              {created.initial_password}
            </code>
          </p>
        </>
      ) : (
        <p>{name} signs in with {passwordChosen ? 'the password you chose' : 'their password'}, then sets up their authenticator app.</p>
      )}
      <div className="button-row">
        {created.initial_password ? <CopyButton text={created.initial_password} label="Copy initial password" /> : null}
        <button type="button" className="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function OperatorRow({ operator, self, pending, setPending, onChanged }: { operator: Operator; self: boolean; pending: Pending; setPending: (pending: Pending) => void; onChanged: () => Promise<void> }) {
  const api = useApi();
  const act = useMutation({
    mutationFn: async (action: 'reset' | 'remove') => {
      if (action === 'reset') {
        await api.call('operators:reset-totp', { id: operator.id });
      } else {
        await api.call('operators:remove', { id: operator.id });
      }
    },
    onSuccess: async () => {
      setPending(null);
      await onChanged();
    },
  });
  const name = operator.username;
  return (
    <>
      <tr>
        <td>
          <code>{name}</code>
          {self ? <span className="muted"> (you)</span> : null}
        </td>
        <td>{operator.roles.map((role) => roleLabels[role]).join(', ')}</td>
        <td>
          {operator.totp_confirmed_at === null ? (
            <span className="state state-suspended">set up at next sign-in</span>
          ) : (
            <span className="state">set up {new Date(operator.totp_confirmed_at).toLocaleDateString()}</span>
          )}
        </td>
        <td>{operator.totp_confirmed_at === null ? '—' : `${operator.recovery_codes_left} left`}</td>
        <td>{new Date(operator.created_at).toLocaleDateString()}</td>
        <td className="actions">
          {self ? (
            <span className="muted">Your account: see Account</span>
          ) : (
            <div>
              <button type="button" className="button" aria-label={`Reset the authenticator of ${name}`} onClick={() => setPending({ id: operator.id, action: 'reset' })}>
                Reset authenticator
              </button>
              <button type="button" className="button" aria-label={`Remove ${name}`} onClick={() => setPending({ id: operator.id, action: 'remove' })}>
                Remove
              </button>
            </div>
          )}
        </td>
      </tr>
      {pending ? (
        <tr className="row-detail">
          <td colSpan={6}>
            <form
              className="form-inline"
              aria-label={pending.action === 'reset' ? `Reset the authenticator of ${name}` : `Remove ${name}`}
              onSubmit={(event) => {
                event.preventDefault();
                act.mutate(pending.action);
              }}
            >
              <p>
                {pending.action === 'reset'
                  ? `${name} is signed out, their recovery codes stop working, and they set up a new authenticator app at their next sign-in, with their password.`
                  : `${name} is signed out and can no longer sign in. The provider ledger keeps what they did.`}
              </p>
              <button type="submit" className="button button-primary" disabled={act.isPending}>
                {pending.action === 'reset' ? 'Confirm reset' : 'Confirm remove'}
              </button>
              <button type="button" className="button" onClick={() => setPending(null)}>
                Cancel
              </button>
              {act.isError ? <FormAlert title="The change was not made" messages={[describeError(act.error)]} /> : null}
            </form>
          </td>
        </tr>
      ) : null}
    </>
  );
}
