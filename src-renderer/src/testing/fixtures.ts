import { type ErrorCode } from '../../../contracts/errors';
import { type AppInfo, type ConnectionView, type SessionStatus, type SetupResult } from '../../../contracts/ipc';
import { type Operator } from '../../../contracts/operators';

export function appInfo(state: AppInfo['control_plane']['state'] = 'ready', message: string | null = null): AppInfo {
  return {
    version: '0.1.0',
    mode: 'electron',
    control_plane: { kind: 'embedded', url: 'https://127.0.0.1:7443', state, message },
  };
}

export const operator: Operator = {
  id: '3f1c2b7e-8a4d-4c1e-9b2a-1d2e3f4a5b6c',
  username: 'alice',
  roles: ['provider_admin', 'billing_viewer'],
  created_at: '2025-01-01T00:00:00.000Z',
  totp_confirmed_at: '2025-01-01T00:01:00.000Z',
  recovery_codes_left: 10,
};

export const signedOut: SessionStatus = { signed_in: false, operator: null, expires_at: null };
export const signedIn: SessionStatus = { signed_in: true, operator, expires_at: '2030-01-01T12:00:00.000Z' };

export const enrollment: SetupResult = {
  username: 'alice',
  otpauth_uri: 'otpauth://totp/Bulkhead:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Bulkhead',
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DP',
};

/** Ten recovery codes as the control plane makes them. */
export const recoveryCodes = ['ABCD-EFGH-JKLM-NPQR', 'BCDE-FGHJ-KLMN-PQRS', 'CDEF-GHJK-LMNP-QRST', 'DEFG-HJKL-MNPQ-RSTU', 'EFGH-JKLM-NPQR-STUV', 'FGHJ-KLMN-PQRS-TUVW', 'GHJK-LMNP-QRST-UVWX', 'HJKL-MNPQ-RSTU-VWXY', 'JKLM-NPQR-STUV-WXYZ', 'KLMN-PQRS-TUVW-XYZ2'];

export function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, details } };
}

/** The embedded connection (active unless said otherwise) and, when asked, a remote one. */
export function embeddedConnection(overrides: Partial<ConnectionView> = {}): ConnectionView {
  return {
    id: 'embedded',
    kind: 'embedded',
    name: 'Embedded',
    url: 'https://127.0.0.1:7443',
    trust: 'embedded',
    fingerprint: 'AB:'.repeat(31) + 'AB',
    key_protection: 'file',
    active: true,
    session: { signed_in: true, username: 'alice' },
    status: { kind: 'embedded', connection_id: 'embedded', url: 'https://127.0.0.1:7443', state: 'ready', message: null },
    ...overrides,
  };
}

export function remoteConnection(overrides: Partial<ConnectionView> = {}): ConnectionView {
  return {
    id: 'c_0123456789abcdef',
    kind: 'remote',
    name: 'Region EU',
    url: 'https://eu.example.net:8443',
    trust: 'ca',
    fingerprint: 'CD:'.repeat(31) + 'CD',
    key_protection: null,
    active: false,
    session: { signed_in: false, username: null },
    status: { kind: 'remote', connection_id: 'c_0123456789abcdef', url: 'https://eu.example.net:8443', state: 'ready', message: null },
    ...overrides,
  };
}
