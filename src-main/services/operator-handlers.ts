import { z } from 'zod';
import type { SessionStatus } from '../../contracts/ipc';
import { CreatedOperator, EnrolledSession, Operator, PendingEnrollment, RecoveryCodesView, SessionView, TotpReplacement, type LoginResponse } from '../../contracts/operators';
import type { IpcHandlers } from '../ipc/router';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What the operator and account handlers need of the console service that holds the session. */
export interface OperatorPort {
  /** A provider-plane call with the signed-in operator's session, its answer parsed with `schema`. */
  asOperator<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  /** The same for an answer without a body (204). */
  asOperatorNoContent(method: Method, path: string, body?: unknown): Promise<void>;
  /** A call without a session (enrollment, before the operator has one), its answer parsed with `schema`. */
  anonymous<S extends z.ZodType>(method: Method, path: string, schema: S, body: unknown): Promise<z.output<S>>;
  /** Keeps a new session in the main process (the token never reaches the renderer) and tells the renderer. */
  adoptSession(answer: LoginResponse): SessionStatus;
}

export type OperatorChannel =
  | 'enrollment:start'
  | 'enrollment:confirm'
  | 'account:get'
  | 'account:password'
  | 'account:recovery-codes'
  | 'account:totp-start'
  | 'account:totp-confirm'
  | 'operators:list'
  | 'operators:create'
  | 'operators:remove'
  | 'operators:reset-totp';

const operatorPath = (id: string) => `/provider/v1/operators/${encodeURIComponent(id)}`;

/**
 * The console's handlers for enrollment, the signed-in operator's own account and operator
 * administration (#18). Each is one control-plane call; the control plane checks roles and ledgers
 * every change. Enrollment's answers carry a session: it is kept here, and only the recovery codes
 * go to the renderer, to be shown once.
 */
export function operatorHandlers(port: OperatorPort): Pick<IpcHandlers, OperatorChannel> {
  return {
    'enrollment:start': async (request) => {
      const enrollment = await port.anonymous('POST', '/provider/v1/auth/enrollment', PendingEnrollment, request);
      return { username: enrollment.operator.username, otpauth_uri: enrollment.otpauth_uri, secret: enrollment.secret };
    },
    'enrollment:confirm': async (request) => {
      const enrolled = await port.anonymous('POST', '/provider/v1/auth/enrollment/confirm', EnrolledSession, request);
      const { recovery_codes: recoveryCodes, ...session } = enrolled;
      return { session: port.adoptSession(session), recovery_codes: recoveryCodes };
    },
    'account:get': async () => (await port.asOperator('GET', '/provider/v1/auth/session', SessionView)).operator,
    'account:password': async (request) => {
      await port.asOperatorNoContent('PUT', '/provider/v1/auth/password', request);
      return { changed: true as const };
    },
    'account:recovery-codes': (request) => port.asOperator('POST', '/provider/v1/auth/recovery-codes', RecoveryCodesView, request),
    'account:totp-start': (request) => port.asOperator('POST', '/provider/v1/auth/totp', TotpReplacement, request),
    'account:totp-confirm': async (request) => {
      await port.asOperatorNoContent('POST', '/provider/v1/auth/totp/confirm', request);
      return { replaced: true as const };
    },
    'operators:list': async () => ({ items: (await port.asOperator('GET', '/provider/v1/operators', z.object({ items: z.array(Operator) }))).items }),
    'operators:create': (request) => port.asOperator('POST', '/provider/v1/operators', CreatedOperator, request),
    'operators:remove': async (request) => {
      await port.asOperatorNoContent('DELETE', operatorPath(request.id));
      return { removed: true as const };
    },
    'operators:reset-totp': (request) => port.asOperator('POST', `${operatorPath(request.id)}/reset-totp`, Operator),
  };
}
