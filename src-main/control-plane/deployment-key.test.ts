import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestKeychain } from '../../test/helpers/test-keychain';
import { ConsoleError } from '../console-error';
import { DeploymentKeyStore } from './deployment-key';

/** Every byte under the directory, to prove a key is (or is not) on disk in clear. */
const diskBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))));
const keyOnDisk = (dir: string, key: string) => diskBytes(dir).includes(Buffer.from(key)) || diskBytes(dir).includes(Buffer.from(key, 'base64'));

/** The ConsoleError a read refuses with. */
function refusal(store: DeploymentKeyStore): ConsoleError {
  try {
    store.read();
  } catch (error) {
    if (error instanceof ConsoleError) return error;
    throw error;
  }
  throw new Error('the read was not refused');
}

describe('DeploymentKeyStore', () => {
  let dir: string;
  let keychain: TestKeychain;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-key-'));
    keychain = new TestKeychain();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('with a keychain, keeps only the sealed key on disk (0600) and reads it back', () => {
    const store = new DeploymentKeyStore(dir, keychain, 'linux');
    expect(store.exists()).toBe(false);
    store.create();
    const key = store.read();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(readdirSync(dir)).toEqual(['deployment.key.sealed']);
    expect(statSync(store.sealedFile).mode & 0o777).toBe(0o600);
    expect(keyOnDisk(dir, key)).toBe(false);
    expect(new DeploymentKeyStore(dir, keychain, 'linux').read()).toBe(key);
  });

  it('without a keychain (browser mode), keeps the key in a 0600 file as a server does', () => {
    const store = new DeploymentKeyStore(dir, null, 'linux');
    store.create();
    const key = store.read();
    expect(readdirSync(dir)).toEqual(['deployment.key']);
    expect(statSync(store.plainFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(store.plainFile, 'utf8').trim()).toBe(key);
  });

  it("treats Linux's basic_text fallback (a hard-coded password) as no keychain at all", () => {
    keychain.backend = 'basic_text';
    const store = new DeploymentKeyStore(dir, keychain, 'linux');
    expect(store.sealing).toBe(false);
    store.create();
    expect(readdirSync(dir)).toEqual(['deployment.key']);
    // The backend name is a Linux notion: elsewhere it is not consulted.
    expect(new DeploymentKeyStore(dir, keychain, 'darwin').sealing).toBe(true);
  });

  it('seals a plaintext key once a keychain is there, and destroys the plaintext file', () => {
    new DeploymentKeyStore(dir, null, 'linux').create();
    const key = readFileSync(join(dir, 'deployment.key'), 'utf8').trim();
    const store = new DeploymentKeyStore(dir, keychain, 'linux');
    expect(store.read()).toBe(key);
    expect(readdirSync(dir)).toEqual(['deployment.key.sealed']);
    expect(keyOnDisk(dir, key)).toBe(false);
    expect(store.read()).toBe(key);
  });

  it('finishes a move that was interrupted after sealing: the plaintext copy of the same key is destroyed', () => {
    new DeploymentKeyStore(dir, keychain, 'linux').create();
    const key = new DeploymentKeyStore(dir, keychain, 'linux').read();
    writeFileSync(join(dir, 'deployment.key'), key + '\n', { mode: 0o600 });
    expect(new DeploymentKeyStore(dir, keychain, 'linux').read()).toBe(key);
    expect(readdirSync(dir)).toEqual(['deployment.key.sealed']);
  });

  it('refuses clearly, touching nothing, when the key is sealed but the keychain is locked or another one', () => {
    new DeploymentKeyStore(dir, keychain, 'linux').create();
    const sealed = readFileSync(join(dir, 'deployment.key.sealed'));
    keychain.available = false;
    const locked = refusal(new DeploymentKeyStore(dir, keychain, 'linux'));
    expect(locked.code).toBe('deployment_key_unavailable');
    expect(locked.message).toMatch(/keychain.*not available/);
    expect(refusal(new DeploymentKeyStore(dir, null, 'linux')).code).toBe('deployment_key_unavailable');
    const another = refusal(new DeploymentKeyStore(dir, new TestKeychain(), 'linux'));
    expect(another.code).toBe('deployment_key_unavailable');
    expect(another.message).toMatch(/could not open/);
    expect(readFileSync(join(dir, 'deployment.key.sealed'))).toEqual(sealed);
    expect(readdirSync(dir)).toEqual(['deployment.key.sealed']);
  });

  it('refuses a sealed file that opens to something other than a key', () => {
    writeFileSync(join(dir, 'deployment.key.sealed'), keychain.encryptString('not a key'));
    expect(refusal(new DeploymentKeyStore(dir, keychain, 'linux')).message).toMatch(/damaged/);
  });
});
