import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfirmEnrollmentRequest, EnrolledSession, EnrollmentCredentials, LoginRequest, LoginResponse, PendingEnrollment, SessionView } from '../../../contracts/operators';
import type { AuthenticatedOperator, OperatorAuth, SecondFactor } from '../../auth/operator-auth';
import { bearerToken } from '../../auth/tokens';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { limited, requestLimits } from '../request-limits';

/** The operator behind the request's session token (401 otherwise). */
export function operatorOf(auth: OperatorAuth, request: FastifyRequest): Promise<AuthenticatedOperator> {
  return auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
}

function secondFactor(body: LoginRequest): SecondFactor {
  if (body.recovery_code !== undefined) return { recoveryCode: body.recovery_code };
  if (body.totp !== undefined) return { totp: body.totp };
  return null;
}

/**
 * Sign-in and enrollment (no credential: password-checked and throttled), the session, sign-out:
 * POST /provider/v1/auth/login, /auth/enrollment, /auth/enrollment/confirm, /auth/logout and
 * GET /provider/v1/auth/session.
 */
export function providerAuthRoutes(auth: OperatorAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.post(
      '/provider/v1/auth/login',
      limited(contract({ summary: 'Sign in with password and a TOTP code (or a recovery code)', credential: 'none', body: LoginRequest, responses: { 201: LoginResponse } }), requestLimits.signIn),
      async (request, reply) => {
        const body = parseWith(LoginRequest, request.body);
        const result = await auth.login(body.username, body.password, secondFactor(body), request.ip);
        return reply.code(201).send({ token: result.token, expires_at: result.expiresAt, operator: result.operator });
      },
    );

    app.post(
      '/provider/v1/auth/enrollment',
      limited(contract({ summary: "A pending operator's TOTP enrollment: the secret to add to an authenticator", credential: 'none', body: EnrollmentCredentials, responses: { 200: PendingEnrollment } }), requestLimits.signIn),
      async (request) => {
        const body = parseWith(EnrollmentCredentials, request.body);
        const enrollment = await auth.pendingEnrollment(body.username, body.password, request.ip);
        return { operator: enrollment.operator, otpauth_uri: enrollment.otpauthUri, secret: enrollment.secret };
      },
    );

    app.post(
      '/provider/v1/auth/enrollment/confirm',
      limited(contract({ summary: 'Finish TOTP enrollment with a first code: a session and the recovery codes, shown once', credential: 'none', body: ConfirmEnrollmentRequest, responses: { 201: EnrolledSession } }), requestLimits.signIn),
      async (request, reply) => {
        const body = parseWith(ConfirmEnrollmentRequest, request.body);
        const result = await auth.confirmEnrollment(body.username, body.password, body.totp, request.ip);
        return reply.code(201).send({ token: result.token, expires_at: result.expiresAt, operator: result.operator, recovery_codes: result.recoveryCodes });
      },
    );

    // The session behind the token (additive to API.md): lets a console check its session is alive.
    app.get('/provider/v1/auth/session', contract({ summary: 'The session behind the token', credential: 'operator', responses: { 200: SessionView } }), async (request) => {
      const { operator, session } = await operatorOf(auth, request);
      return { operator, expires_at: session.expiresAt };
    });

    app.post('/provider/v1/auth/logout', contract({ summary: 'End the session', credential: 'operator', responses: { 204: null } }), async (request, reply) => {
      const { session } = await operatorOf(auth, request);
      await auth.logout(session.id);
      return reply.code(204).send();
    });
    return Promise.resolve();
  };
}
