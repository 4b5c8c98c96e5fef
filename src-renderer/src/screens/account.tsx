import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { IDLE_LOCK_MINUTES } from '../../../contracts/ipc';
import { Password, type Operator, type TotpReplacement } from '../../../contracts/operators';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError, formatWait } from '../error-text';
import { EnrollmentSecret } from '../identity/enrollment-secret';
import { RecoveryCodesNotice } from '../identity/recovery-codes';
import '../identity/identity.css';

export const accountKeys = { self: ['account', 'self'] as const, idleLock: ['lock', 'settings'] as const };

/** Below this many recovery codes left, the account asks for new ones. */
const FEW_CODES = 3;

function wrongPassword(error: unknown): string {
  // Here the only credential checked is the current password.
  return isConsoleError(error) && error.code === 'invalid_credentials' ? 'Your current password is wrong.' : describeError(error);
}

/** The signed-in operator's own account, whatever its role: password, recovery codes, the idle lock. */
export function AccountView({ operator }: { operator: Operator }) {
  const api = useApi();
  const self = useQuery({ queryKey: accountKeys.self, queryFn: () => api.call('account:get', {}) });
  const current = self.data ?? operator;
  return (
    <section aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      <dl className="facts">
        <div>
          <dt>Username</dt>
          <dd>{current.username}</dd>
        </div>
        <div>
          <dt>Authenticator app</dt>
          <dd>{current.totp_confirmed_at ? `Set up ${new Date(current.totp_confirmed_at).toLocaleString()}` : 'Not set up'}</dd>
        </div>
        <div>
          <dt>Recovery codes</dt>
          <dd data-testid="recovery-codes-left">{current.recovery_codes_left} left</dd>
        </div>
      </dl>
      {current.recovery_codes_left <= FEW_CODES ? (
        <div className="notice" role="note">
          <p className="notice-title">{current.recovery_codes_left === 0 ? 'No recovery codes left.' : `Only ${current.recovery_codes_left} recovery codes left.`}</p>
          <p>Make new ones below, so a lost authenticator app does not lock you out.</p>
        </div>
      ) : null}
      <ChangePassword />
      <NewAuthenticator username={current.username} />
      <NewRecoveryCodes />
      <IdleLockSetting />
    </section>
  );
}

function ChangePassword() {
  const api = useApi();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const change = useMutation({
    mutationFn: () => api.call('account:password', { current_password: currentPassword, new_password: newPassword }),
    onSuccess: () => {
      setCurrentPassword('');
      setNewPassword('');
      setConfirm('');
    },
    onError: () => {
      setCurrentPassword('');
    },
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const found: string[] = [];
    if (currentPassword === '') found.push('Enter your current password.');
    if (!Password.safeParse(newPassword).success) found.push('Choose a new password of at least 12 characters.');
    if (confirm !== newPassword) found.push('The two new passwords do not match.');
    setProblems(found);
    if (found.length > 0) {
      change.reset();
      return;
    }
    change.mutate();
  };
  return (
    <div className="settings-section">
      <h2>Password</h2>
      <form className="form" onSubmit={submit} aria-label="Change password" aria-busy={change.isPending} noValidate>
        <FormAlert title={problems.length > 0 ? undefined : 'The password was not changed'} messages={problems.length > 0 ? problems : change.isError ? [wrongPassword(change.error)] : []} />
        <TextField label="Current password" name="current_password" type="password" value={currentPassword} onChange={setCurrentPassword} autoComplete="current-password" maxLength={1024} />
        <TextField label="New password" name="new_password" type="password" value={newPassword} onChange={setNewPassword} autoComplete="new-password" maxLength={1024} hint="At least 12 characters. A long passphrase is best." />
        <TextField label="Confirm new password" name="confirm_password" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" maxLength={1024} />
        <button type="submit" className="button button-primary" disabled={change.isPending}>
          Change password
        </button>
        {change.isSuccess ? (
          <p className="status-line" role="status">
            Password changed. Your sessions elsewhere were signed out.
          </p>
        ) : null}
      </form>
    </div>
  );
}

/** Asks for the current password again before a change to one's own account; `children` follow the button. */
function PasswordStep({ label, name, intro, failureTitle, submitLabel, pending, error, onPassword, children }: { label: string; name: string; intro: string; failureTitle: string; submitLabel: string; pending: boolean; error: unknown; onPassword: (password: string) => void; children?: ReactNode }) {
  const [password, setPassword] = useState('');
  return (
    <form
      className="form"
      aria-label={label}
      aria-busy={pending}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (password === '') return;
        onPassword(password);
        setPassword('');
      }}
    >
      <p>{intro}</p>
      <FormAlert title={failureTitle} messages={error ? [wrongPassword(error)] : []} />
      <TextField label="Password" name={name} type="password" value={password} onChange={setPassword} autoComplete="current-password" maxLength={1024} hint="Your current password, to confirm it is you." />
      <button type="submit" className="button" disabled={pending || password === ''}>
        {submitLabel}
      </button>
      {children}
    </form>
  );
}

/** A new authenticator app (a new phone, or after signing in with a recovery code): the old one works until the new one is confirmed. */
function NewAuthenticator({ username }: { username: string }) {
  const api = useApi();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const [replacement, setReplacement] = useState<TotpReplacement | null>(null);
  const start = useMutation({
    mutationFn: (password: string) => api.call('account:totp-start', { password }),
    onSuccess: (result) => {
      setReplacement(result);
      confirm.reset();
    },
  });
  const confirm = useMutation({
    mutationFn: (totp: string) => api.call('account:totp-confirm', { totp }),
    onSuccess: async () => {
      setReplacement(null);
      await client.invalidateQueries({ queryKey: accountKeys.self });
    },
    onSettled: () => {
      setCode('');
    },
  });
  const totp = code.replace(/\s+/g, '');
  return (
    <div className="settings-section">
      <h2>Authenticator app</h2>
      {replacement ? (
        <form
          className="form"
          aria-label="New authenticator"
          aria-busy={confirm.isPending}
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (/^\d{6}$/.test(totp)) confirm.mutate(totp);
          }}
        >
          <p>Add this to your new authenticator app, then enter the code it shows. Until then your current app keeps working.</p>
          <EnrollmentSecret username={username} otpauthUri={replacement.otpauth_uri} secret={replacement.secret} />
          <FormAlert
            title="The new authenticator is not set up"
            messages={confirm.isError ? [isConsoleError(confirm.error) && confirm.error.code === 'invalid_credentials' ? 'That code does not match the new authenticator. Check the clock of its device and enter the newest code.' : describeError(confirm.error)] : []}
          />
          <TextField label="Code from your new app" name="new_totp" value={code} onChange={setCode} autoComplete="one-time-code" inputMode="numeric" maxLength={7} hint="6 digits." />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={confirm.isPending || !/^\d{6}$/.test(totp)}>
              Confirm new authenticator
            </button>
            <button type="button" className="button" onClick={() => setReplacement(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <PasswordStep
          label="Set up a new authenticator"
          name="totp_password"
          intro="For a new phone, or after signing in with a recovery code."
          failureTitle="Nothing was changed"
          submitLabel="Set up a new authenticator"
          pending={start.isPending}
          error={start.error}
          onPassword={(password) => {
            start.mutate(password);
          }}
        >
          {confirm.isSuccess ? (
            <p className="status-line" role="status">
              Your new authenticator app is set up; the old one no longer works.
            </p>
          ) : null}
        </PasswordStep>
      )}
    </div>
  );
}

function NewRecoveryCodes() {
  const api = useApi();
  const client = useQueryClient();
  const [codes, setCodes] = useState<readonly string[] | null>(null);
  const make = useMutation({
    mutationFn: (password: string) => api.call('account:recovery-codes', { password }),
    onSuccess: async (result) => {
      setCodes(result.recovery_codes);
      await client.invalidateQueries({ queryKey: accountKeys.self });
    },
  });
  return (
    <div className="settings-section">
      <h2>Recovery codes</h2>
      {codes ? (
        <RecoveryCodesNotice codes={codes} onSaved={() => setCodes(null)} continueLabel="Done" />
      ) : (
        <PasswordStep
          label="New recovery codes"
          name="recovery_password"
          intro="New codes replace all of your current ones: the old codes stop working at once."
          failureTitle="No new codes were made"
          submitLabel="Make new recovery codes"
          pending={make.isPending}
          error={make.error}
          onPassword={(password) => {
            make.mutate(password);
          }}
        />
      )}
    </div>
  );
}

function IdleLockSetting() {
  const api = useApi();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: accountKeys.idleLock, queryFn: () => api.call('lock:settings', {}) });
  const [minutes, setMinutes] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (value: number) => api.call('lock:configure', { idle_lock_minutes: value }),
    onSuccess: (result) => {
      client.setQueryData(accountKeys.idleLock, result);
      setMinutes(null);
    },
  });
  if (!settings.data) {
    return settings.isError ? <FormAlert title="The idle lock could not be read" messages={[describeError(settings.error)]} /> : null;
  }
  const fixed = settings.data.source === 'flag';
  const shown = minutes ?? String(Math.max(1, Math.round(settings.data.idle_lock_seconds / 60)));
  const parsed = Number(shown);
  const valid = Number.isInteger(parsed) && parsed >= IDLE_LOCK_MINUTES.min && parsed <= IDLE_LOCK_MINUTES.max;
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (valid) save.mutate(parsed);
  };
  return (
    <div className="settings-section">
      <h2>Idle lock</h2>
      <p>
        This console signs you out after {formatWait(settings.data.idle_lock_seconds)} without activity.
        {fixed ? ' It was set when the console was started and cannot be changed here.' : ''}
      </p>
      {fixed ? null : (
        <form className="form-inline" aria-label="Idle lock" onSubmit={submit} noValidate>
          <TextField
            label="Minutes without activity"
            name="idle_lock_minutes"
            value={shown}
            onChange={setMinutes}
            inputMode="numeric"
            maxLength={3}
            hint={`${IDLE_LOCK_MINUTES.min} to ${IDLE_LOCK_MINUTES.max}. Kept on this computer for the next start.`}
            invalid={!valid}
          />
          <button type="submit" className="button" disabled={!valid || save.isPending}>
            Save
          </button>
          <FormAlert title="Not saved" messages={save.isError ? [describeError(save.error)] : []} />
        </form>
      )}
    </div>
  );
}
