import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { type SessionStatus, type SetupResult } from '../../../contracts/ipc';
import { RecoveryCode, type LoginRequest } from '../../../contracts/operators';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError, formatWait } from '../error-text';
import { clearingError } from '../forms';
import { useIdentityFlow } from '../identity/identity-flow';
import { queryKeys } from '../queries';
import '../identity/identity.css';

type Field = 'username' | 'password' | 'totp' | 'recovery_code';
type Problem = { field: Field; message: string };
type Factor = 'totp' | 'recovery_code';

const fieldLabels = { username: 'Username', password: 'Password', totp: 'Authenticator code', recovery_code: 'Recovery code' } as const;

/**
 * Client-side checks before anything is sent. The authenticator code may be left empty: an operator
 * who has not set up an authenticator yet is sent on to enrollment; anyone else is refused.
 */
export function validateSignIn(input: { username: string; password: string; totp: string; recoveryCode?: string; factor?: Factor }): Problem[] {
  const problems: Problem[] = [];
  if (input.username.trim() === '') {
    problems.push({ field: 'username', message: 'Enter your username.' });
  }
  if (input.password === '') {
    problems.push({ field: 'password', message: 'Enter your password.' });
  }
  if (input.factor === 'recovery_code') {
    const code = input.recoveryCode ?? '';
    if (code.trim() === '') {
      problems.push({ field: 'recovery_code', message: 'Enter one of your recovery codes.' });
    } else if (!RecoveryCode.safeParse(code).success) {
      problems.push({ field: 'recovery_code', message: 'A recovery code is 16 letters and digits, such as ABCD-EFGH-JKLM-NPQR.' });
    }
    return problems;
  }
  const code = normalizeCode(input.totp);
  if (code !== '' && !/^\d{6}$/.test(code)) {
    problems.push({ field: 'totp', message: 'The authenticator code is exactly 6 digits.' });
  }
  return problems;
}

/** Authenticator apps show codes as "123 456"; spaces are not part of the code. */
function normalizeCode(value: string): string {
  return value.replace(/\s+/g, '');
}

type Outcome = { kind: 'signed-in'; status: SessionStatus } | { kind: 'enroll'; enrollment: SetupResult; username: string; password: string };

export function SignIn({ initialUsername = '' }: { initialUsername?: string }) {
  const api = useApi();
  const client = useQueryClient();
  const flow = useIdentityFlow();
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const [factor, setFactor] = useState<Factor>('totp');
  const [problems, setProblems] = useState<Problem[]>([]);

  const login = useMutation({
    mutationFn: async (request: LoginRequest): Promise<Outcome> => {
      try {
        return { kind: 'signed-in', status: await api.call('session:login', request) };
      } catch (error) {
        // A right password for an operator without an authenticator yet: on to its enrollment.
        if (isConsoleError(error) && error.code === 'enrollment_required') {
          const enrollment = await api.call('enrollment:start', { username: request.username, password: request.password });
          return { kind: 'enroll', enrollment, username: request.username, password: request.password };
        }
        throw error;
      }
    },
    onSuccess: (outcome) => {
      setPassword('');
      setTotp('');
      setRecoveryCode('');
      if (outcome.kind === 'enroll') {
        flow.startEnrollment({ username: outcome.username, password: outcome.password, enrollment: outcome.enrollment, firstRun: false });
        return;
      }
      flow.signedIn();
      client.setQueryData(queryKeys.session, outcome.status);
    },
    onError: () => {
      // A code is good for one attempt; the next try needs a fresh one.
      setTotp('');
      setRecoveryCode('');
    },
  });

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (login.isPending) {
      return;
    }
    const found = validateSignIn({ username, password, totp, recoveryCode, factor });
    setProblems(found);
    if (found.length > 0) {
      login.reset();
      return;
    }
    const code = normalizeCode(totp);
    login.mutate({
      username: username.trim(),
      password,
      ...(factor === 'recovery_code' ? { recovery_code: recoveryCode.trim() } : code === '' ? {} : { totp: code }),
    });
  };

  const switchFactor = (next: Factor) => {
    setFactor(next);
    setProblems([]);
    setTotp('');
    setRecoveryCode('');
    login.reset();
  };

  // Editing a field retires what was said about the last attempt: the server's answer and that field's own problems.
  const editing = (field: Field, set: (value: string) => void) =>
    clearingError(login, (value: string) => {
      setProblems((current) => (current.some((problem) => problem.field === field) ? current.filter((problem) => problem.field !== field) : current));
      set(value);
    });

  const invalid = (field: Field) => problems.some((problem) => problem.field === field);
  const messages = problems.length > 0 ? problems.map((problem) => problem.message) : login.isError ? [describeError(login.error, fieldLabels)] : [];

  return (
    <main className="auth-screen">
      <div className="auth-card">
        <p className="brand brand-large">Bulkhead</p>
        <h1>Sign in to Bulkhead</h1>
        {flow.locked ? (
          <div className="notice" role="status">
            <p className="notice-title">Bulkhead locked itself.</p>
            <p>Nobody used the console for {formatWait(flow.locked.idleLockSeconds)}, so you were signed out. Sign in again to go on.</p>
          </div>
        ) : null}
        <p className="lead">
          {factor === 'totp' ? 'Use your operator account and the code from your authenticator app.' : 'Lost your authenticator? Use one of your recovery codes: each works once.'}
        </p>
        <form className="form" onSubmit={submit} noValidate aria-busy={login.isPending}>
          <FormAlert title={problems.length > 0 ? undefined : 'Sign-in failed'} messages={messages} />
          <TextField label="Username" name="username" value={username} onChange={editing('username', setUsername)} autoComplete="username" maxLength={64} invalid={invalid('username')} autoFocus={initialUsername === ''} />
          <TextField label="Password" name="password" type="password" value={password} onChange={editing('password', setPassword)} autoComplete="current-password" maxLength={1024} invalid={invalid('password')} autoFocus={initialUsername !== ''} />
          {factor === 'totp' ? (
            <TextField
              label="Authenticator code"
              name="totp"
              value={totp}
              onChange={editing('totp', setTotp)}
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={7}
              hint="The 6-digit code your authenticator app shows for Bulkhead. Signing in for the first time? Leave it empty: you set up the app next."
              invalid={invalid('totp')}
              required={false}
            />
          ) : (
            <TextField
              label="Recovery code"
              name="recovery_code"
              value={recoveryCode}
              onChange={editing('recovery_code', setRecoveryCode)}
              autoComplete="off"
              maxLength={24}
              hint="One of the codes you saved when you set up your authenticator, such as ABCD-EFGH-JKLM-NPQR."
              invalid={invalid('recovery_code')}
            />
          )}
          <button type="submit" className="button button-primary" disabled={login.isPending}>
            Sign in
          </button>
          <button
            type="button"
            className="button button-link"
            onClick={() => {
              switchFactor(factor === 'totp' ? 'recovery_code' : 'totp');
            }}
          >
            {factor === 'totp' ? 'Use a recovery code instead' : 'Use my authenticator app instead'}
          </button>
        </form>
      </div>
    </main>
  );
}
