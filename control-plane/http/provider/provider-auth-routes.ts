import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoginRequest, LoginResponse, SessionView } from '../../../contracts/operators';
import type { AuthenticatedOperator, OperatorAuth } from '../../auth/operator-auth';
import { bearerToken } from '../../auth/tokens';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

/** The operator behind the request's session token (401 otherwise). */
export function operatorOf(auth: OperatorAuth, request: FastifyRequest): Promise<AuthenticatedOperator> {
  return auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
}

/** POST /provider/v1/auth/login and /logout, GET /provider/v1/auth/session. */
export function providerAuthRoutes(auth: OperatorAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/auth/login', contract({ summary: 'Sign in with password and a TOTP code', credential: 'none', body: LoginRequest, responses: { 201: LoginResponse } }), async (request, reply) => {
      const body = parseWith(LoginRequest, request.body);
      const result = await auth.login(body.username, body.password, body.totp);
      return reply.code(201).send({ token: result.token, expires_at: result.expiresAt, operator: result.operator });
    });

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
