import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { Password, Username } from '../../../contracts/operators';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { useIdentityFlow } from '../identity/identity-flow';
import { queryKeys } from '../queries';

type Field = 'username' | 'password' | 'confirm';
type Problem = { field: Field; message: string };

const fieldLabels = { username: 'Username', password: 'Password' } as const;
const USERNAME_HINT = '3 to 64 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter or digit.';
const PASSWORD_HINT = 'At least 12 characters. A long passphrase is best.';

/** The same rules the console and control plane apply (contracts), checked before sending. */
export function validateSetup(input: { username: string; password: string; confirm: string }): Problem[] {
  const problems: Problem[] = [];
  if (!Username.safeParse(input.username).success) {
    problems.push({ field: 'username', message: `Choose a username of ${USERNAME_HINT}` });
  }
  if (!Password.safeParse(input.password).success) {
    problems.push({ field: 'password', message: 'Choose a password of at least 12 characters.' });
  }
  if (input.confirm !== input.password) {
    problems.push({ field: 'confirm', message: 'The two passwords do not match.' });
  }
  return problems;
}

/**
 * First run: create the first provider administrator, then on to its TOTP enrollment (the password
 * stays in memory until a first code confirms it).
 */
export function FirstRunSetup() {
  const api = useApi();
  const client = useQueryClient();
  const flow = useIdentityFlow();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);

  const enroll = useMutation({
    mutationFn: (request: { username: string; password: string }) => api.call('setup:enroll', request),
    onSuccess: (result, request) => {
      setPassword('');
      setConfirm('');
      flow.startEnrollment({ username: result.username, password: request.password, enrollment: result, firstRun: true });
    },
    onError: (error) => {
      if (isConsoleError(error) && error.code === 'already_initialized') {
        // Someone finished setup first: the control plane now wants a sign-in instead.
        void client.invalidateQueries({ queryKey: queryKeys.appInfo });
      }
    },
  });

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (enroll.isPending) {
      return;
    }
    const found = validateSetup({ username, password, confirm });
    setProblems(found);
    if (found.length > 0) {
      enroll.reset();
      return;
    }
    enroll.mutate({ username, password });
  };

  const invalid = (field: Field) => problems.some((problem) => problem.field === field);
  const messages = problems.length > 0 ? problems.map((problem) => problem.message) : enroll.isError ? [describeError(enroll.error, fieldLabels)] : [];

  return (
    <main className="auth-screen">
      <div className="auth-card">
        <p className="brand brand-large">Bulkhead</p>
        <h1>Set up Bulkhead</h1>
        <p className="lead">
          Create the first provider administrator. You will sign in with this username, this password and a code from an
          authenticator app, which you set up in the next step.
        </p>
        <form className="form" onSubmit={submit} noValidate aria-busy={enroll.isPending}>
          <FormAlert title={problems.length > 0 ? undefined : 'Setup failed'} messages={messages} />
          <TextField label="Username" name="username" value={username} onChange={setUsername} autoComplete="username" maxLength={64} hint={USERNAME_HINT} invalid={invalid('username')} autoFocus />
          <TextField label="Password" name="password" type="password" value={password} onChange={setPassword} autoComplete="new-password" maxLength={1024} hint={PASSWORD_HINT} invalid={invalid('password')} />
          <TextField label="Confirm password" name="confirm" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" maxLength={1024} invalid={invalid('confirm')} />
          <button type="submit" className="button button-primary" disabled={enroll.isPending}>
            Create administrator
          </button>
        </form>
      </div>
    </main>
  );
}
