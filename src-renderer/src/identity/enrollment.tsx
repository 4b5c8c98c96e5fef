import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { queryKeys } from '../queries';
import { EnrollmentSecret } from './enrollment-secret';
import { useIdentityFlow, type EnrollmentStep } from './identity-flow';
import './identity.css';

/** Authenticator apps show codes as "123 456"; spaces are not part of the code. */
function normalizeCode(value: string): string {
  return value.replace(/\s+/g, '');
}

function describeConfirmError(error: unknown): string {
  if (isConsoleError(error) && error.code === 'invalid_credentials') {
    // The password was checked when the enrollment was shown: here it is the code.
    return 'That code does not match. Check that the clock of the device with the app is right, then enter the newest code.';
  }
  return describeError(error, { totp: 'Code' });
}

/**
 * TOTP enrollment: the QR code of the otpauth URI, the secret in groups of four with a copy button,
 * and a first code from the app to finish. Nothing is enrolled until that code is accepted.
 */
export function Enrollment({ step }: { step: EnrollmentStep }) {
  const api = useApi();
  const client = useQueryClient();
  const flow = useIdentityFlow();
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);

  const confirm = useMutation({
    mutationFn: (totp: string) => api.call('enrollment:confirm', { username: step.username, password: step.password, totp }),
    onSuccess: (result) => {
      client.setQueryData(queryKeys.session, result.session);
      flow.enrolled(result.recovery_codes);
    },
    onError: () => {
      setCode('');
    },
  });

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (confirm.isPending) return;
    const totp = normalizeCode(code);
    if (!/^\d{6}$/.test(totp)) {
      setProblem('Enter the 6-digit code your authenticator app shows for Bulkhead.');
      confirm.reset();
      return;
    }
    setProblem(null);
    confirm.mutate(totp);
  };

  const { enrollment } = step;
  const messages = problem !== null ? [problem] : confirm.isError ? [describeConfirmError(confirm.error)] : [];
  return (
    <main className="auth-screen">
      <div className="auth-card auth-card-wide">
        <p className="brand brand-large">Bulkhead</p>
        <h1 ref={heading} tabIndex={-1}>
          Set up your authenticator app
        </h1>
        <p className="lead">
          {step.firstRun ? (
            <>
              The administrator <strong>{enrollment.username}</strong> was created.{' '}
            </>
          ) : null}
          Scan this QR code with an authenticator app (on your phone, for example), or type the secret key into it. Then enter the code
          it shows: that finishes the setup of <strong>{enrollment.username}</strong>.
        </p>
        <EnrollmentSecret username={enrollment.username} otpauthUri={enrollment.otpauth_uri} secret={enrollment.secret} />
        <form className="form" onSubmit={submit} noValidate aria-busy={confirm.isPending}>
          <FormAlert title={problem !== null ? undefined : 'Not set up yet'} messages={messages} />
          <TextField
            label="Code from your app"
            name="totp"
            value={code}
            onChange={clearingError(confirm, (value: string) => {
              setProblem(null);
              setCode(value);
            })}
            autoComplete="one-time-code"
            inputMode="numeric"
            maxLength={7}
            hint="6 digits. A new one appears every 30 seconds."
            invalid={messages.length > 0}
          />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={confirm.isPending}>
              Confirm and finish
            </button>
            <button
              type="button"
              className="button"
              disabled={confirm.isPending}
              onClick={() => {
                flow.cancelEnrollment();
                void client.invalidateQueries({ queryKey: queryKeys.appInfo });
              }}
            >
              Back to sign-in
            </button>
          </div>
        </form>
      </div>
    </main>
  );
}
