import { CopyButton } from './copy-button';
import { groupSecret } from './copy-text';
import { QrCode } from './qr-code';
import './identity.css';

/** What an authenticator app needs: the QR code of the otpauth URI, and the secret in groups of four with a copy button. */
export function EnrollmentSecret({ username, otpauthUri, secret }: { username: string; otpauthUri: string; secret: string }) {
  return (
    <div className="enrollment">
      <QrCode value={otpauthUri} label={`QR code to add ${username} to an authenticator app`} />
      <div className="enrollment-secret">
        <p className="field-label" id="secret-label">
          Secret key
        </p>
        <code className="secret secret-groups" aria-labelledby="secret-label" data-testid="totp-secret">
          {groupSecret(secret)}
        </code>
        <CopyButton text={secret} label="Copy secret key" copiedLabel="Secret key copied" />
        <details className="enrollment-uri">
          <summary>Setup URI, for apps that take one</summary>
          <code className="secret secret-uri" data-testid="totp-uri">
            {otpauthUri}
          </code>
        </details>
      </div>
    </div>
  );
}
