import { useEffect, useRef } from 'react';
import { type SetupResult } from '../../../contracts/ipc';

/** Shows the new administrator's TOTP secret exactly once, then continues to sign-in. */
export function TotpEnrollment({ enrollment, onContinue }: { enrollment: SetupResult; onContinue: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);

  return (
    <main className="auth-screen">
      <div className="auth-card auth-card-wide">
        <p className="brand brand-large">Bulkhead</p>
        <h1 ref={heading} tabIndex={-1}>
          Add Bulkhead to your authenticator app
        </h1>
        <p className="lead">
          The administrator <strong>{enrollment.username}</strong> was created. Add this account to an authenticator app
          (for example on your phone) by entering the secret key, or by pasting the setup URI into an app that accepts one.
        </p>
        <div className="notice" role="note">
          <p className="notice-title">This is shown only once.</p>
          <p>
            Bulkhead will not show this secret again. Add it to your authenticator now; without it you cannot sign in.
          </p>
        </div>
        <dl className="secret-list">
          <div>
            <dt>Account</dt>
            <dd>{enrollment.username}</dd>
          </div>
          <div>
            <dt>Secret key</dt>
            <dd>
              <code className="secret" data-testid="totp-secret">
                {enrollment.secret}
              </code>
            </dd>
          </div>
          <div>
            <dt>Setup URI</dt>
            <dd>
              <code className="secret secret-uri" data-testid="totp-uri">
                {enrollment.otpauth_uri}
              </code>
            </dd>
          </div>
        </dl>
        <button type="button" className="button button-primary" onClick={onContinue}>
          I have added it to my authenticator
        </button>
      </div>
    </main>
  );
}
