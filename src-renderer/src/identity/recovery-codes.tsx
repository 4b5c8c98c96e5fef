import { useEffect, useId, useRef, useState } from 'react';
import { CopyButton } from './copy-button';

/** The codes as a numbered list, with a button that copies them all (one a line). */
export function RecoveryCodeList({ codes }: { codes: readonly string[] }) {
  return (
    <div className="recovery-codes">
      <ol aria-label="Recovery codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <CopyButton text={codes.join('\n')} label="Copy all codes" copiedLabel="Copied all codes" />
    </div>
  );
}

/**
 * Recovery codes shown once: the operator must say they are saved before going on. Used after
 * enrollment (a screen of its own) and in the Account section (new codes).
 */
export function RecoveryCodesNotice({ codes, onSaved, continueLabel = 'Continue' }: { codes: readonly string[]; onSaved: () => void; continueLabel?: string }) {
  const [saved, setSaved] = useState(false);
  const checkboxId = useId();
  return (
    <div className="recovery-panel">
      <div className="notice" role="note">
        <p className="notice-title">Shown only now.</p>
        <p>
          Each code signs you in once, with your password, if you lose your authenticator app. Keep them somewhere safe and apart from
          your password: a password manager or a printed copy. Bulkhead stores only their hashes and cannot show them again.
        </p>
      </div>
      <RecoveryCodeList codes={codes} />
      <div className="checkbox-field">
        <input
          id={checkboxId}
          type="checkbox"
          checked={saved}
          onChange={(event) => {
            setSaved(event.target.checked);
          }}
        />
        <label htmlFor={checkboxId}>I have saved these codes somewhere safe</label>
      </div>
      <button type="button" className="button button-primary" disabled={!saved} onClick={onSaved}>
        {continueLabel}
      </button>
    </div>
  );
}

/** The screen after enrollment: the codes, once. */
export function RecoveryCodesScreen({ codes, onSaved }: { codes: readonly string[]; onSaved: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <main className="auth-screen">
      <div className="auth-card auth-card-wide">
        <p className="brand brand-large">Bulkhead</p>
        <h1 ref={heading} tabIndex={-1}>
          Save your recovery codes
        </h1>
        <p className="lead">Your authenticator app is set up and you are signed in. One more step: save these codes.</p>
        <RecoveryCodesNotice codes={codes} onSaved={onSaved} />
      </div>
    </main>
  );
}
