import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluationLicensePath,
  licenseText,
  mintLicense,
  snapshotTree,
  TempDirs,
  testSigner,
} from '../test/helpers/startup-fixtures';
import { deriveLedgerKey } from './audit/ledger-codec';
import { verifyPassword } from './auth/password';
import { deploymentKeyId } from './crypto/deployment-key';
import { open, SealError } from './crypto/seal';
import { sealPurpose } from './crypto/seal-purposes';
import { checkDataDir, dataDirPaths, initDataDir, loadDataDirTls, type InitOptions, type InitResult } from './data-dir';
import { builtInLicenseTrust } from './licensing/license';
import { StartupError } from './errors';
import { SqliteStorage, sqliteLayout } from './storage/sqlite/sqlite-storage';

const PASSWORD = 'correct horse battery';
const evaluationLicense = readFileSync(evaluationLicensePath, 'utf8');

function options(dataDir: string, deploymentKey: Buffer, overrides: Partial<InitOptions> = {}): InitOptions {
  return {
    dataDir,
    deploymentKey,
    admin: { username: 'admin', password: PASSWORD },
    subjectAltNames: [],
    licenseText: evaluationLicense,
    licenseTrust: builtInLicenseTrust,
    now: new Date(),
    ...overrides,
  };
}

async function startupError(promise: Promise<unknown>): Promise<StartupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('expected a StartupError, the call succeeded');
}

function startupErrorSync(fn: () => unknown): StartupError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('expected a StartupError, nothing was thrown');
}

/** Every file under `dir` that is not a clean data-dir entry: SQLite side files or staging dirs. */
function strays(dir: string): string[] {
  return Object.keys(snapshotTree(dir)).filter((path) => /-wal$|-shm$|-journal$|\.init-/.test(path));
}

describe('initDataDir: a new data dir', () => {
  const temp = new TempDirs();
  const key = randomBytes(32);
  let parent: string;
  let dataDir: string;
  let result: InitResult;

  beforeAll(async () => {
    parent = temp.make('bulkhead-init-');
    dataDir = join(parent, 'data');
    result = await initDataDir(options(dataDir, key, { subjectAltNames: ['cp.example.com', '192.0.2.7'] }));
  });
  afterAll(() => temp.cleanup());

  it('creates exactly the expected files and nothing else, and no staging dir next to it', () => {
    expect(Object.keys(snapshotTree(dataDir)).sort()).toEqual(
      ['control-plane.db', 'deployment.json', 'license.json', 'tls', 'tls/ca.crt', 'tls/ca.key.sealed', 'tls/server.crt', 'tls/server.key.sealed'].sort(),
    );
    expect(readdirSync(parent)).toEqual(['data']);
    expect(result.paths).toEqual(dataDirPaths(dataDir));
  });

  it('keeps the private keys sealed: no PEM text in the sealed files, and they open only with the key and purpose', () => {
    const paths = dataDirPaths(dataDir);
    for (const [file, purpose] of [
      [paths.caKeySealed, sealPurpose.caKey],
      [paths.serverKeySealed, sealPurpose.serverKey],
    ] as const) {
      const sealed = readFileSync(file);
      const asText = sealed.toString('latin1');
      expect(asText).not.toContain('PRIVATE KEY');
      expect(asText).not.toContain('-----');
      expect(asText).not.toMatch(/MI[GIJ][A-Za-z0-9+/]{20}/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(open(key, sealed, purpose).toString('utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(() => open(randomBytes(32), sealed, purpose)).toThrow(SealError);
    }
    expect(() => open(key, readFileSync(paths.caKeySealed), sealPurpose.serverKey)).toThrow(SealError);
  });

  it('writes a CA and a server chain for localhost, loopback and the extra names, signed by that CA', () => {
    const paths = dataDirPaths(dataDir);
    const ca = new X509Certificate(readFileSync(paths.caCert));
    const chain = readFileSync(paths.serverCert, 'utf8');
    expect(chain.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(chain).not.toContain('PRIVATE KEY');
    const server = new X509Certificate(chain);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:cp.example.com, IP Address:192.0.2.7');
    expect(ca.subject).toContain(`Bulkhead deployment CA ${deploymentKeyId(key).slice(0, 8)}`);

    const tls = loadDataDirTls(paths, key);
    expect(tls.ca).toBe(readFileSync(paths.caCert, 'utf8'));
    expect(server.checkPrivateKey(createPrivateKey(tls.key))).toBe(true);
  });

  it('installs the license as given and a marker bound to the deployment key', () => {
    const paths = dataDirPaths(dataDir);
    expect(readFileSync(paths.license, 'utf8')).toBe(evaluationLicense);
    const marker = JSON.parse(readFileSync(paths.marker, 'utf8')) as Record<string, unknown>;
    expect(marker).toEqual({ format: 1, deployment_key_id: deploymentKeyId(key), created_at: expect.any(String) as unknown, engine: 'sqlite' });
    expect(JSON.stringify(marker)).not.toContain(key.toString('base64'));
  });

  it('returns the admin TOTP enrollment once: an otpauth://totp/ URI carrying the secret', () => {
    expect(result.username).toBe('admin');
    expect(result.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(result.otpauthUri).toMatch(/^otpauth:\/\/totp\/Bulkhead:admin\?/);
    const uri = new URL(result.otpauthUri);
    expect(uri.searchParams.get('secret')).toBe(result.totpSecret);
    expect(uri.searchParams.get('issuer')).toBe('Bulkhead');
  });

  it('stores the admin with a scrypt hash of the password and a sealed TOTP secret, neither in clear in the database file', async () => {
    // Open a copy: opening a SQLite database writes to its directory.
    const copy = join(temp.make('bulkhead-init-copy-'), 'data');
    cpSync(dataDir, copy, { recursive: true });
    const raw = readFileSync(join(copy, 'control-plane.db')).toString('latin1');
    expect(raw).not.toContain(PASSWORD);
    expect(raw).not.toContain(result.totpSecret);

    const storage = SqliteStorage.open(sqliteLayout(copy), deriveLedgerKey(key));
    try {
      expect(await storage.operators.count()).toBe(1);
      const admin = await storage.operators.findByUsername('admin');
      expect(admin).not.toBeNull();
      if (admin === null) return;
      expect(admin.id).toBe(result.adminId);
      expect(admin.roles).toEqual(['provider_admin']);
      expect(admin.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
      expect(admin.passwordHash).not.toContain(PASSWORD);
      expect(await verifyPassword(PASSWORD, admin.passwordHash)).toBe(true);
      expect(await verifyPassword(`${PASSWORD}!`, admin.passwordHash)).toBe(false);
      expect(admin.totpSecretSealed.toString('latin1')).not.toContain(result.totpSecret);
      expect(open(key, admin.totpSecretSealed, sealPurpose.operatorTotp(admin.id)).toString('utf8')).toBe(result.totpSecret);
      expect(admin.lastTotpStep).toBeNull();
      // Pending: the admin signs in only after confirming its authenticator with a first code.
      expect(admin.totpConfirmedAt).toBeNull();
      expect(admin.recoveryCodesLeft).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it('leaves no SQLite side files (-wal/-shm) behind', () => {
    expect(strays(dataDir)).toEqual([]);
  });

  it('passes checkDataDir with its own key, without writing anything', () => {
    const before = snapshotTree(dataDir);
    expect(checkDataDir(dataDir, key)).toEqual(dataDirPaths(dataDir));
    expect(snapshotTree(dataDir)).toEqual(before);
  });

  it('is refused by checkDataDir with another key (deployment_key_mismatch), and its TLS key will not open', () => {
    const other = randomBytes(32);
    const error = startupErrorSync(() => checkDataDir(dataDir, other));
    expect(error.code).toBe('deployment_key_mismatch');
    expect(error.message).toContain('belongs to another deployment key');
    expect(error.message).not.toContain(other.toString('base64'));
    expect(startupErrorSync(() => loadDataDirTls(dataDirPaths(dataDir), other)).code).toBe('tls_invalid');
  });
});

describe('initDataDir: refusals change nothing', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());
  const key = randomBytes(32);

  it('refuses an existing, initialized data dir and leaves every file as it was', async () => {
    const parent = temp.make();
    const dataDir = join(parent, 'data');
    await initDataDir(options(dataDir, key));
    const before = snapshotTree(parent);
    const error = await startupError(initDataDir(options(dataDir, key, { admin: { username: 'other', password: 'another long password' } })));
    expect(error.code).toBe('data_dir_exists');
    expect(error.message).toContain('already exists and is not empty');
    expect(snapshotTree(parent)).toEqual(before);
  });

  it('refuses an existing non-empty dir that is not a data dir, leaving it untouched', async () => {
    const parent = temp.make();
    const dataDir = join(parent, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'keep me');
    const before = snapshotTree(parent);
    expect((await startupError(initDataDir(options(dataDir, key)))).code).toBe('data_dir_exists');
    expect(snapshotTree(parent)).toEqual(before);
  });

  it.each([
    ['an uppercase username', 'admin_invalid', { admin: { username: 'Admin', password: PASSWORD } }, 'Invalid admin username'],
    ['a username with a space', 'admin_invalid', { admin: { username: 'the admin', password: PASSWORD } }, 'Invalid admin username'],
    ['a two-letter username', 'admin_invalid', { admin: { username: 'ad', password: PASSWORD } }, 'Invalid admin username'],
    ['an 11-character password', 'admin_invalid', { admin: { username: 'admin', password: 'elevenchars' } }, 'at least 12 characters'],
    ['an empty password', 'admin_invalid', { admin: { username: 'admin', password: '' } }, 'Invalid admin password'],
    ['a --san with a space', 'tls_invalid', { subjectAltNames: ['cp.example.com', 'bad name'] }, '--san "bad name"'],
    ['a --san with a slash', 'tls_invalid', { subjectAltNames: ['cp.example.com/x'] }, 'neither a DNS name nor an IP'],
    ['an empty --san', 'tls_invalid', { subjectAltNames: [''] }, '--san ""'],
    ['a license that is not JSON', 'license_invalid', { licenseText: 'not json' }, 'not valid JSON'],
    ['a tampered license', 'license_invalid', { licenseText: evaluationLicense.replace('"tenant_band": 25,', '"tenant_band": 2500,') }, 'signature does not verify'],
  ] as const)('refuses %s with %s and creates nothing', async (_label, code, overrides, message) => {
    const parent = temp.make();
    const before = snapshotTree(parent);
    const dataDir = join(parent, 'data');
    const error = await startupError(initDataDir(options(dataDir, key, overrides)));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(existsSync(dataDir)).toBe(false);
    expect(snapshotTree(parent)).toEqual(before);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('never echoes the refused password', async () => {
    const parent = temp.make();
    const error = await startupError(initDataDir(options(join(parent, 'data'), key, { admin: { username: 'admin', password: 'short-pw' } })));
    expect(error.message).not.toContain('short-pw');
  });

  it('refuses an expired license and one signed by an untrusted key', async () => {
    const signer = testSigner();
    const parent = temp.make();
    const expired = licenseText(mintLicense(signer, { issued_at: '2020-01-01T00:00:00.000Z', expires_at: '2021-01-01T00:00:00.000Z' }));
    expect((await startupError(initDataDir(options(join(parent, 'data'), key, { licenseText: expired, licenseTrust: signer.trust })))).code).toBe('license_expired');
    const untrusted = licenseText(mintLicense(testSigner('stranger')));
    expect((await startupError(initDataDir(options(join(parent, 'data'), key, { licenseText: untrusted, licenseTrust: signer.trust })))).code).toBe('license_invalid');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('installs a test-signed license when given its trust', async () => {
    const signer = testSigner();
    const parent = temp.make();
    const text = licenseText(mintLicense(signer, { tier: 'standard', tenant_band: 3 }));
    const result = await initDataDir(options(join(parent, 'data'), key, { licenseText: text, licenseTrust: signer.trust }));
    expect(readFileSync(result.paths.license, 'utf8')).toBe(text);
  });

  it('removes its staging dir when it fails after validation (here: a deployment key of the wrong length)', async () => {
    const parent = temp.make();
    const dataDir = join(parent, 'data');
    await expect(initDataDir(options(dataDir, randomBytes(16)))).rejects.toThrow(/32 bytes/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('initializes an existing empty dir', async () => {
    const parent = temp.make();
    const dataDir = join(parent, 'data');
    mkdirSync(dataDir);
    const result = await initDataDir(options(dataDir, key));
    expect(result.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(checkDataDir(dataDir, key).root).toBe(dataDir);
    expect(readdirSync(parent)).toEqual(['data']);
    expect(existsSync(join(dataDir, 'tls', 'server.key.sealed'))).toBe(true);
  });
});

describe('checkDataDir refusals', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());
  const key = randomBytes(32);

  it('refuses a missing dir with data_dir_missing, suggesting init', () => {
    const dataDir = join(temp.make(), 'nowhere');
    const error = startupErrorSync(() => checkDataDir(dataDir, key));
    expect(error.code).toBe('data_dir_missing');
    expect(error.message).toContain(`control-plane init --data ${dataDir}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    ['an empty dir', {}],
    ['a dir of other files', { 'notes.txt': 'hello' }],
    ['a marker that is not JSON', { 'deployment.json': '{' }],
    ['a marker of another format', { 'deployment.json': JSON.stringify({ format: 2, deployment_key_id: 'x', created_at: 'y' }) }],
  ])('refuses %s with data_dir_invalid and writes nothing', (_label, files: Record<string, string>) => {
    const dir = temp.make();
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), content);
    }
    const before = snapshotTree(dir);
    const error = startupErrorSync(() => checkDataDir(dir, key));
    expect(error.code).toBe('data_dir_invalid');
    expect(error.message).toContain('not an initialized Bulkhead data dir');
    expect(snapshotTree(dir)).toEqual(before);
  });
});
