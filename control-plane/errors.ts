import type { ErrorCode } from '../contracts/errors';

/**
 * The control plane's errors, below HTTP: services and storage throw these, http/ turns them into
 * the contract's envelope (http/errors.ts), the CLI into one line and an exit code.
 */

/** A refusal with the contract's code and the HTTP status it answers: any layer may throw it; only http/ sends it. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A reason the control plane refuses to start or initialize (key, license, data dir, storage, TLS,
 * listen address). Whoever starts it shows the message as one line: the CLI exits non-zero, the
 * console shows a failed control plane. It never carries secret material.
 */
export class StartupError extends Error {
  constructor(
    readonly code:
      | 'deployment_key_missing'
      | 'deployment_key_malformed'
      | 'deployment_key_mismatch'
      | 'license_missing'
      | 'license_invalid'
      | 'license_expired'
      | 'data_dir_missing'
      | 'data_dir_exists'
      | 'data_dir_invalid'
      | 'tls_invalid'
      | 'listen_invalid'
      | 'admin_invalid'
      | 'metrics_token_invalid'
      | 'database_role_unsafe'
      | 'database_schema_mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
