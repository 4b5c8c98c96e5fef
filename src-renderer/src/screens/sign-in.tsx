import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { type LoginRequest } from '../../../contracts/operators';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { queryKeys } from '../queries';

type Field = 'username' | 'password' | 'totp';
type Problem = { field: Field; message: string };

const fieldLabels = { username: 'Username', password: 'Password', totp: 'Authenticator code' } as const;

/** Client-side checks before anything is sent: all three fields, and a 6-digit code. */
export function validateSignIn(input: { username: string; password: string; totp: string }): Problem[] {
  const problems: Problem[] = [];
  if (input.username.trim() === '') {
    problems.push({ field: 'username', message: 'Enter your username.' });
  }
  if (input.password === '') {
    problems.push({ field: 'password', message: 'Enter your password.' });
  }
  const code = normalizeCode(input.totp);
  if (code === '') {
    problems.push({ field: 'totp', message: 'Enter the 6-digit code from your authenticator app.' });
  } else if (!/^\d{6}$/.test(code)) {
    problems.push({ field: 'totp', message: 'The authenticator code is exactly 6 digits.' });
  }
  return problems;
}

/** Authenticator apps show codes as "123 456"; spaces are not part of the code. */
function normalizeCode(value: string): string {
  return value.replace(/\s+/g, '');
}

export function SignIn({ initialUsername = '' }: { initialUsername?: string }) {
  const api = useApi();
  const client = useQueryClient();
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);

  const login = useMutation({
    mutationFn: (request: LoginRequest) => api.call('session:login', request),
    onSuccess: (status) => {
      setPassword('');
      setTotp('');
      client.setQueryData(queryKeys.session, status);
    },
    onError: () => {
      // A code is good for one attempt; the next try needs a fresh one.
      setTotp('');
    },
  });

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (login.isPending) {
      return;
    }
    const found = validateSignIn({ username, password, totp });
    setProblems(found);
    if (found.length > 0) {
      login.reset();
      return;
    }
    login.mutate({ username: username.trim(), password, totp: normalizeCode(totp) });
  };

  const invalid = (field: Field) => problems.some((problem) => problem.field === field);
  const messages = problems.length > 0 ? problems.map((problem) => problem.message) : login.isError ? [describeError(login.error, fieldLabels)] : [];

  return (
    <main className="auth-screen">
      <div className="auth-card">
        <p className="brand brand-large">Bulkhead</p>
        <h1>Sign in to Bulkhead</h1>
        <p className="lead">Use your operator account and the code from your authenticator app.</p>
        <form className="form" onSubmit={submit} noValidate aria-busy={login.isPending}>
          <FormAlert title={problems.length > 0 ? undefined : 'Sign-in failed'} messages={messages} />
          <TextField label="Username" name="username" value={username} onChange={setUsername} autoComplete="username" maxLength={64} invalid={invalid('username')} autoFocus={initialUsername === ''} />
          <TextField label="Password" name="password" type="password" value={password} onChange={setPassword} autoComplete="current-password" maxLength={1024} invalid={invalid('password')} autoFocus={initialUsername !== ''} />
          <TextField
            label="Authenticator code"
            name="totp"
            value={totp}
            onChange={setTotp}
            autoComplete="one-time-code"
            inputMode="numeric"
            maxLength={7}
            hint="The 6-digit code your authenticator app shows for Bulkhead."
            invalid={invalid('totp')}
          />
          <button type="submit" className="button button-primary" disabled={login.isPending}>
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
