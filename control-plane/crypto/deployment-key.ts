import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StartupError } from '../errors';

export const DEPLOYMENT_KEY_ENV = 'BULKHEAD_DEPLOYMENT_KEY';
const KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface DeploymentKeySource {
  /** The environment to read BULKHEAD_DEPLOYMENT_KEY from. */
  env: NodeJS.ProcessEnv;
  /** A file holding the base64 key (the --key-file option); wins over the environment. */
  keyFile?: string | undefined;
}

/** A fresh deployment key, base64-encoded: 32 random bytes. */
export function generateDeploymentKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Decodes and checks a base64 deployment key; throws a StartupError naming what is wrong (never the key). */
export function parseDeploymentKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new StartupError('deployment_key_malformed', `The deployment key from ${origin} is not valid base64; it must be 32 random bytes, base64-encoded (generate one with: control-plane keygen).`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new StartupError('deployment_key_malformed', `The deployment key from ${origin} decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES} bytes, base64-encoded.`);
  }
  return key;
}

/** Loads the deployment key from --key-file or BULKHEAD_DEPLOYMENT_KEY; refuses clearly when absent or malformed. */
export function loadDeploymentKey(source: DeploymentKeySource): Buffer {
  if (source.keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.keyFile, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new StartupError('deployment_key_missing', `The deployment key file ${source.keyFile} cannot be read (${reason}).`);
    }
    return parseDeploymentKey(text, `key file ${source.keyFile}`);
  }
  const fromEnv = source.env[DEPLOYMENT_KEY_ENV];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    throw new StartupError(
      'deployment_key_missing',
      `No deployment encryption key: set ${DEPLOYMENT_KEY_ENV} (32 random bytes, base64) or pass --key-file <file>. Generate one with: control-plane keygen.`,
    );
  }
  return parseDeploymentKey(fromEnv, DEPLOYMENT_KEY_ENV);
}

/** A public identifier of the key (HMAC of a fixed label), so a data dir can tell which key it belongs to. */
export function deploymentKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('bulkhead/deployment-key-id/v1').digest('hex').slice(0, 32);
}
