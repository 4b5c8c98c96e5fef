import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { LicenseFile, LicensePayload } from '../../contracts/license';
import { signLicense, type LicenseTrust } from '../../control-plane/licensing/license';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const evaluationLicensePath = join(repoRoot, 'control-plane', 'licensing', 'evaluation-license.json');

/** Temp dirs under os.tmpdir(), removed by `cleanup()` (call it from afterEach/afterAll). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = 'bulkhead-test-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export interface EntryStamp {
  type: 'dir' | 'file' | 'other';
  mode: number;
  size: number;
  mtimeMs: number;
  sha256: string | null;
}

/** Every entry under `root` (path relative to root → type, mode, size, mtime, content hash); `{}` if root is absent. */
export function snapshotTree(root: string): Record<string, EntryStamp> {
  const result: Record<string, EntryStamp> = {};
  if (!existsSync(root)) {
    return result;
  }
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const stat = lstatSync(full);
      const type = stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
      result[relative(root, full)] = {
        type,
        mode: stat.mode,
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        sha256: type === 'file' ? createHash('sha256').update(readFileSync(full)).digest('hex') : null,
      };
      if (type === 'dir') {
        walk(full);
      }
    }
  };
  walk(root);
  return result;
}

/** A license-signing key pair made for tests only, and the trust map that accepts it. */
export interface TestSigner {
  keyId: string;
  privatePem: string;
  publicPem: string;
  trust: LicenseTrust;
}

export function testSigner(keyId = 'test-key'): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { keyId, privatePem, publicPem, trust: { [keyId]: publicPem } };
}

const DAY_MS = 24 * 3600 * 1000;

/** A license payload valid from yesterday for a year, with `overrides` applied. */
export function licensePayload(overrides: Partial<LicensePayload> = {}, now = new Date()): LicensePayload {
  return {
    license_id: 'test-license',
    licensee: 'Test MSP',
    tier: 'isolation',
    tenant_band: 25,
    issued_at: new Date(now.getTime() - DAY_MS).toISOString(),
    expires_at: new Date(now.getTime() + 365 * DAY_MS).toISOString(),
    ...overrides,
  };
}

export function mintLicense(signer: TestSigner, overrides: Partial<LicensePayload> = {}, now = new Date()): LicenseFile {
  return signLicense(licensePayload(overrides, now), signer.privatePem, signer.keyId);
}

export function licenseText(license: LicenseFile): string {
  return JSON.stringify(license, null, 2) + '\n';
}
