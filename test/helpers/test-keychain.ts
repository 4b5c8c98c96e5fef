import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeySealer } from '../../src-main/control-plane/deployment-key';

/**
 * Stands in for Electron's safeStorage, whose OS keychain cannot exist here: real AES-256-GCM
 * under a key this "keychain" holds in memory.
 */
export class TestKeychain implements KeySealer {
  available = true;
  backend = 'gnome_libsecret';
  private readonly key = randomBytes(32);

  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptString(plainText: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }
  decryptString(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }
}
