import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleError } from '../console-error';

/**
 * What Electron's `safeStorage` offers: strings sealed with a key the OS keeps (Keychain, DPAPI,
 * libsecret or KWallet). Passed in, so this module stays plain Node; browser mode has none.
 */
export interface KeySealer {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(sealed: Buffer): string;
  /** Linux only: which secret store backs the sealing. */
  getSelectedStorageBackend?(): string;
}

const KEY_FORMAT = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The embedded control plane's deployment key. Where the OS can seal it, only the sealed form is
 * on disk (`deployment.key.sealed`); otherwise it is a 0600 file (`deployment.key`), as for any
 * server. A plaintext key found once sealing is available is sealed and its file destroyed.
 */
export class DeploymentKeyStore {
  constructor(
    private readonly dir: string,
    private readonly sealer: KeySealer | null,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  get plainFile(): string {
    return join(this.dir, 'deployment.key');
  }

  get sealedFile(): string {
    return join(this.dir, 'deployment.key.sealed');
  }

  /** Whether the OS seals the key here. On Linux without a secret store Electron falls back to a hard-coded password, which protects nothing. */
  get sealing(): boolean {
    if (this.sealer === null || !this.sealer.isEncryptionAvailable()) return false;
    return !(this.platform === 'linux' && this.sealer.getSelectedStorageBackend?.() === 'basic_text');
  }

  /** How the key is kept: sealed by the OS keychain, or in a 0600 file (browser mode, or no secret store). */
  get protection(): 'os_keychain' | 'file' {
    return this.sealing || existsSync(this.sealedFile) ? 'os_keychain' : 'file';
  }

  exists(): boolean {
    return existsSync(this.sealedFile) || existsSync(this.plainFile);
  }

  /** First run: a new random key, sealed when the OS can, else in a 0600 file. Returns it. */
  create(): string {
    const key = randomBytes(32).toString('base64');
    if (this.sealing) this.writeSealed(key);
    else writeFileSync(this.plainFile, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  }

  /** The key (base64), for the control plane's environment only. */
  read(): string {
    if (existsSync(this.sealedFile)) {
      if (!this.sealing) {
        throw new ConsoleError(
          'deployment_key_unavailable',
          "The deployment key is sealed by this computer's keychain, which is not available now. Unlock the keychain (or sign in to the desktop session that holds it) and start the console again.",
        );
      }
      const key = this.unsealed();
      // A plaintext copy of the same key left by an interrupted move is destroyed now.
      if (existsSync(this.plainFile) && readFileSync(this.plainFile, 'utf8').trim() === key) destroy(this.plainFile);
      return key;
    }
    const key = readFileSync(this.plainFile, 'utf8').trim();
    if (this.sealing) {
      // Sealing became available (or this console was upgraded): keep only the sealed form.
      this.writeSealed(key);
      destroy(this.plainFile);
    }
    return key;
  }

  private writeSealed(key: string): void {
    writeFileSync(this.sealedFile, this.sealerOrThrow().encryptString(key), { mode: 0o600, flag: 'wx' });
    if (this.unsealed() !== key) {
      unlinkSync(this.sealedFile);
      throw new ConsoleError('deployment_key_unavailable', "The keychain did not give back the deployment key it sealed: the key was left as it was.");
    }
  }

  private unsealed(): string {
    let key: string;
    try {
      key = this.sealerOrThrow().decryptString(readFileSync(this.sealedFile));
    } catch {
      throw new ConsoleError('deployment_key_unavailable', "The keychain could not open the sealed deployment key (was it sealed by another user or computer?).");
    }
    if (!KEY_FORMAT.test(key)) {
      throw new ConsoleError('deployment_key_unavailable', 'The sealed deployment key is not a key: the file is damaged.');
    }
    return key;
  }

  private sealerOrThrow(): KeySealer {
    if (this.sealer === null) throw new ConsoleError('deployment_key_unavailable', 'No keychain to seal the deployment key with.');
    return this.sealer;
  }
}

/** Overwrites a file's bytes before removing it, so the plaintext key does not stay in its blocks. */
function destroy(file: string): void {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
}
