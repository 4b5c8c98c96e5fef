import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { LicenseFile, type LicensePayload } from '../../contracts/license';
import { StartupError } from '../errors';
import { vendorLicenseKeys } from './vendor-keys';

/** Public keys trusted to sign licenses, by key id (PEM). Production uses the built-in vendor keys. */
export type LicenseTrust = Readonly<Record<string, string>>;

export const builtInLicenseTrust: LicenseTrust = vendorLicenseKeys;

/** The bytes that are signed: the payload as JSON with keys in sorted order. */
export function canonicalPayload(payload: LicensePayload): Buffer {
  const sorted = Object.fromEntries(Object.entries(payload).sort(([a], [b]) => a.localeCompare(b)));
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

export function signLicense(payload: LicensePayload, privateKeyPem: string, keyId: string): LicenseFile {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error('the license signing key must be an Ed25519 private key');
  }
  const signature = sign(null, canonicalPayload(payload), key).toString('base64');
  return { payload, signature, key_id: keyId };
}

/** Checks a parsed license document: shape, signer, signature, validity period. Throws StartupError. */
export function verifyLicense(document: unknown, trust: LicenseTrust, now: Date): LicensePayload {
  const parsed = LicenseFile.safeParse(document);
  if (!parsed.success) {
    throw new StartupError('license_invalid', 'The license file is not a Bulkhead license (its fields do not match the license format).');
  }
  const { payload, signature, key_id: keyId } = parsed.data;
  const pem = trust[keyId];
  if (pem === undefined) {
    throw new StartupError('license_invalid', `The license is signed by an unknown key (${keyId}); it was not issued for this product.`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch {
    throw new StartupError('license_invalid', `The trusted key ${keyId} cannot be read.`);
  }
  if (!verify(null, canonicalPayload(payload), publicKey, Buffer.from(signature, 'base64'))) {
    throw new StartupError('license_invalid', 'The license signature does not verify: the license file was altered or is not genuine.');
  }
  if (Date.parse(payload.issued_at) > now.getTime() + 24 * 3600 * 1000) {
    throw new StartupError('license_invalid', `The license is issued in the future (${payload.issued_at}); check the system clock.`);
  }
  if (Date.parse(payload.expires_at) <= now.getTime()) {
    throw new StartupError('license_expired', `The license for ${payload.licensee} expired at ${payload.expires_at}; install a current license.`);
  }
  return payload;
}

export function readLicenseFile(path: string, trust: LicenseTrust, now: Date): LicensePayload {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new StartupError('license_missing', `No license at ${path} (${reason}); the control plane needs a signed license file.`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new StartupError('license_invalid', `The license file ${path} is not valid JSON.`);
  }
  return verifyLicense(document, trust, now);
}

/**
 * The license in force, re-read when the file changes, so replacing the license file takes
 * effect without a restart. A replacement that does not verify is refused and the last good
 * license stays in force until it expires.
 */
export class LicenseSource {
  private current: LicensePayload;
  private stamp: string;
  private lastError: StartupError | null = null;

  constructor(
    private readonly path: string,
    private readonly trust: LicenseTrust,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.current = readLicenseFile(path, trust, clock());
    this.stamp = this.fileStamp();
  }

  /** The license now in force; throws StartupError('license_expired') once it has expired. */
  get(): LicensePayload {
    const stamp = this.fileStamp();
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      try {
        this.current = readLicenseFile(this.path, this.trust, this.clock());
        this.lastError = null;
      } catch (error) {
        this.lastError = error instanceof StartupError ? error : new StartupError('license_invalid', 'The replacement license cannot be read.');
      }
    }
    if (Date.parse(this.current.expires_at) <= this.clock().getTime()) {
      throw new StartupError('license_expired', `The license for ${this.current.licensee} expired at ${this.current.expires_at}.`);
    }
    return this.current;
  }

  /** Checks a replacement license (StartupError when it does not verify); nothing changes yet. */
  check(document: unknown): LicensePayload {
    return verifyLicense(document, this.trust, this.clock());
  }

  /** The license last read, expired or not (what a replacement replaces). */
  lastRead(): LicensePayload {
    return this.current;
  }

  /**
   * Puts a checked license in force: written beside the file and renamed over it, so a reader never
   * sees half a file, and this process uses it at once.
   */
  install(document: unknown, payload: LicensePayload): void {
    const staged = `${this.path}.replacing`;
    writeFileSync(staged, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
    renameSync(staged, this.path);
    this.current = payload;
    this.stamp = this.fileStamp();
    this.lastError = null;
  }

  /** Why the last replacement of the license file was refused, if it was. */
  replacementError(): StartupError | null {
    return this.lastError;
  }

  private fileStamp(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return 'missing';
    }
  }
}
