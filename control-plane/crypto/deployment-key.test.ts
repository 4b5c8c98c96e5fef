import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TempDirs } from '../../test/helpers/startup-fixtures';
import { StartupError } from '../errors';
import { DEPLOYMENT_KEY_ENV, deploymentKeyId, generateDeploymentKey, loadDeploymentKey, parseDeploymentKey } from './deployment-key';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

/** Runs `fn` and returns the StartupError it throws (fails the test if it throws anything else or nothing). */
function startupError(fn: () => unknown): StartupError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('expected a StartupError, nothing was thrown');
}

describe('generateDeploymentKey', () => {
  it('makes 32 random bytes, base64-encoded (44 characters), different every time', () => {
    const a = generateDeploymentKey();
    const b = generateDeploymentKey();
    expect(a).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('is accepted by the loader, which decodes the same bytes', () => {
    const key = generateDeploymentKey();
    expect(loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: key } }).equals(Buffer.from(key, 'base64'))).toBe(true);
  });
});

describe('loadDeploymentKey from the environment', () => {
  it('loads a valid key, ignoring surrounding whitespace', () => {
    const raw = randomBytes(32);
    const key = loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: `  ${raw.toString('base64')}\n` } });
    expect(key.equals(raw)).toBe(true);
  });

  it.each([
    ['absent', {}],
    ['empty', { [DEPLOYMENT_KEY_ENV]: '' }],
    ['only whitespace', { [DEPLOYMENT_KEY_ENV]: ' \n\t' }],
  ])('refuses a key that is %s with deployment_key_missing naming the variable and the key file option', (_label, env) => {
    const error = startupError(() => loadDeploymentKey({ env }));
    expect(error.code).toBe('deployment_key_missing');
    expect(error.message).toContain(DEPLOYMENT_KEY_ENV);
    expect(error.message).toContain('--key-file');
    expect(error.message).toContain('keygen');
  });

  it.each([
    ['not base64 at all', 'this is not a key!'],
    ['base64 with bad padding', 'abc'],
    ['url-safe base64', randomBytes(32).toString('base64url').replace(/^./, '-')],
    ['valid base64 with a stray character', randomBytes(32).toString('base64').replace(/=$/, '!')],
  ])('refuses a key that is %s with deployment_key_malformed, without echoing it', (_label, value) => {
    const error = startupError(() => loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: value } }));
    expect(error.code).toBe('deployment_key_malformed');
    expect(error.message).toContain('not valid base64');
    expect(error.message).toContain(DEPLOYMENT_KEY_ENV);
    expect(error.message).not.toContain(value);
  });

  it.each([16, 31, 33, 64])('refuses a well-formed base64 key of %i bytes with deployment_key_malformed', (bytes) => {
    const value = randomBytes(bytes).toString('base64');
    const error = startupError(() => loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: value } }));
    expect(error.code).toBe('deployment_key_malformed');
    expect(error.message).toContain(`decodes to ${bytes} bytes`);
    expect(error.message).toContain('exactly 32 bytes');
    expect(error.message).not.toContain(value);
  });
});

describe('loadDeploymentKey from --key-file', () => {
  it('reads the key file (with its trailing newline) and it wins over the environment', () => {
    const dir = temp.make();
    const fromFile = randomBytes(32);
    const file = join(dir, 'deployment.key');
    writeFileSync(file, fromFile.toString('base64') + '\n', { mode: 0o600 });
    const key = loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: generateDeploymentKey() }, keyFile: file });
    expect(key.equals(fromFile)).toBe(true);
  });

  it('refuses a missing key file with deployment_key_missing and the reason, even when the environment has a key', () => {
    const file = join(temp.make(), 'absent.key');
    const error = startupError(() => loadDeploymentKey({ env: { [DEPLOYMENT_KEY_ENV]: generateDeploymentKey() }, keyFile: file }));
    expect(error.code).toBe('deployment_key_missing');
    expect(error.message).toContain(file);
    expect(error.message).toContain('ENOENT');
  });

  it('refuses a key file that cannot be read as a file (a directory) with deployment_key_missing', () => {
    const dir = join(temp.make(), 'a-directory');
    mkdirSync(dir);
    const error = startupError(() => loadDeploymentKey({ env: {}, keyFile: dir }));
    expect(error.code).toBe('deployment_key_missing');
    expect(error.message).toContain('cannot be read (EISDIR)');
  });

  it('refuses an empty key file as malformed, naming the file', () => {
    const file = join(temp.make(), 'empty.key');
    writeFileSync(file, '');
    const error = startupError(() => loadDeploymentKey({ env: {}, keyFile: file }));
    expect(error.code).toBe('deployment_key_malformed');
    expect(error.message).toContain(`key file ${file}`);
  });

  it('refuses a key file holding a 16-byte key', () => {
    const file = join(temp.make(), 'short.key');
    writeFileSync(file, randomBytes(16).toString('base64'));
    const error = startupError(() => loadDeploymentKey({ env: {}, keyFile: file }));
    expect(error.code).toBe('deployment_key_malformed');
    expect(error.message).toContain('decodes to 16 bytes');
  });
});

describe('parseDeploymentKey', () => {
  it('names the origin it was given', () => {
    expect(() => parseDeploymentKey('%%%', 'the test')).toThrow(/from the test is not valid base64/);
  });
});

describe('deploymentKeyId', () => {
  it('is stable for a key, 32 hex characters, and reveals nothing of the key', () => {
    const key = randomBytes(32);
    const id = deploymentKeyId(key);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(deploymentKeyId(Buffer.from(key))).toBe(id);
    expect(key.toString('hex')).not.toContain(id);
    expect(key.toString('hex').slice(0, 32)).not.toBe(id);
  });

  it('differs between keys, even keys one bit apart', () => {
    const key = randomBytes(32);
    const flipped = Buffer.from(key);
    flipped[31] = (flipped[31] ?? 0) ^ 1;
    const ids = new Set([deploymentKeyId(key), deploymentKeyId(flipped), deploymentKeyId(randomBytes(32)), deploymentKeyId(randomBytes(32))]);
    expect(ids.size).toBe(4);
  });
});
