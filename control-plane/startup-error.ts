/**
 * A reason the control plane refuses to start or initialize. The CLI prints its message as one
 * line and exits non-zero; it never carries secret material.
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
      | 'admin_invalid',
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
