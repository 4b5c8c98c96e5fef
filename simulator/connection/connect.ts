import { readFileSync } from 'node:fs';
import { SimulatorError, UsageError } from '../errors';
import { ApiClient, describeNetworkError } from './api-client';
import { startEmbeddedControlPlane, type EmbeddedOptions } from './embedded-control-plane';
import { signInOperator, type OperatorCredentials } from './operator-session';

/** Which control plane a run uses: a remote one (URL, its CA, an operator's factors) or none (an embedded one). */
export interface ConnectOptions {
  controlPlane?: string;
  ca?: string;
  operator?: string;
  passwordEnv?: string;
  totpSecretEnv?: string;
  embedded?: EmbeddedOptions;
  /**
   * A session the caller already holds (the console's simulator panel): the control plane's URL, its
   * CA (pinned), and the operator's session token. Handed over the worker's IPC channel, never on
   * argv or in the environment; the simulator never signs in with it, nor prints it.
   */
  session?: OperatorSessionTarget;
  /** Connections of the setup client's pool. */
  connections?: number;
  /** Told what the connection waits for (e.g. the next TOTP code). */
  onNotice?: (message: string) => void;
}

export interface OperatorSessionTarget {
  url: string;
  caPem: string;
  username: string;
  token: string;
}

export interface Connection {
  client: ApiClient;
  operator: OperatorCredentials;
  /** 'embedded' when the simulator started the control plane itself. */
  kind: 'embedded' | 'remote';
  /** The operator's session (bho_), signed in once per connection (a TOTP code is accepted once). */
  operatorToken(): Promise<string>;
  close(): Promise<void>;
}

/** A connection whose operator signs in at the first need, once. */
function connection(client: ApiClient, operator: OperatorCredentials, kind: Connection['kind'], close: () => Promise<void>, onNotice?: (message: string) => void): Connection {
  let session: Promise<string> | undefined;
  return {
    client,
    operator,
    kind,
    operatorToken() {
      session ??= signInOperator(client, operator, onNotice);
      return session;
    },
    close,
  };
}

function secretFromEnv(flag: string, name: string | undefined): string {
  if (name === undefined) throw new UsageError(`${flag} is required with --control-plane`);
  const value = process.env[name];
  if (value === undefined || value === '') throw new UsageError(`${flag} ${name}: that environment variable is not set`);
  return value;
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${file}: not a PEM certificate`);
  return pem;
}

/** Checks the control plane answers /healthz with a certificate from the pinned CA; refuses it otherwise. */
async function checkReachable(client: ApiClient): Promise<void> {
  try {
    const response = await client.pool.request({ method: 'GET', path: '/healthz' });
    await response.body.text();
    if (response.statusCode !== 200) throw new SimulatorError(`${client.target.url}/healthz answered ${response.statusCode}: is this a Bulkhead control plane?`);
  } catch (error) {
    if (error instanceof SimulatorError) throw error;
    throw new SimulatorError(describeNetworkError(error, client.target.url).message);
  }
}

/**
 * Connects to the control plane a run targets. With `controlPlane`, a remote one: its CA is pinned
 * (`ca`), and the operator's password and TOTP secret come from environment variables, never the
 * command line. Without it, an embedded one in a temporary data dir, removed by `close()`.
 */
/** Checks the flags that choose a control plane, before anything starts (a bad one is exit 2). */
export function checkConnectOptions(options: ConnectOptions): void {
  if (options.controlPlane === undefined) {
    if (options.ca !== undefined || options.operator !== undefined) throw new UsageError('--ca and --operator go with --control-plane <url>');
    return;
  }
  if (options.ca === undefined) throw new UsageError('--ca <file> is required with --control-plane (the control plane\'s CA, e.g. <data>/tls/ca.crt)');
  if (options.operator === undefined) throw new UsageError('--operator <username> is required with --control-plane');
  secretFromEnv('--password-env', options.passwordEnv);
  secretFromEnv('--totp-secret-env', options.totpSecretEnv);
  readCa(options.ca);
}

/** A connection on a session the caller holds: no sign-in, no factors (they stay with the console). */
async function sessionConnection(session: OperatorSessionTarget, options: ConnectOptions): Promise<Connection> {
  if (!session.caPem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError('the session\'s CA is not a PEM certificate');
  const client = new ApiClient({ url: session.url, caPem: session.caPem }, { connections: options.connections });
  try {
    await checkReachable(client);
  } catch (error) {
    await client.close();
    throw error;
  }
  const token = Promise.resolve(session.token);
  return { client, operator: { username: session.username, password: '', totpSecret: '' }, kind: 'remote', operatorToken: () => token, close: () => client.close() };
}

export async function connect(options: ConnectOptions): Promise<Connection> {
  if (options.session !== undefined) return sessionConnection(options.session, options);
  checkConnectOptions(options);
  if (options.controlPlane !== undefined && options.ca !== undefined && options.operator !== undefined) {
    const operator = { username: options.operator, password: secretFromEnv('--password-env', options.passwordEnv), totpSecret: secretFromEnv('--totp-secret-env', options.totpSecretEnv) };
    const client = new ApiClient({ url: options.controlPlane, caPem: readCa(options.ca) }, { connections: options.connections });
    try {
      await checkReachable(client);
    } catch (error) {
      await client.close();
      throw error;
    }
    return connection(client, operator, 'remote', () => client.close(), options.onNotice);
  }
  const embedded = await startEmbeddedControlPlane(options.embedded);
  const client = new ApiClient(embedded.target, { connections: options.connections });
  try {
    await checkReachable(client);
  } catch (error) {
    await client.close();
    await embedded.stop();
    throw error;
  }
  return connection(client, embedded.operator, 'embedded', async () => {
    await client.close();
    await embedded.stop();
  }, options.onNotice);
}
