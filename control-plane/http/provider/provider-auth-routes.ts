import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoginRequest } from '../../../contracts/operators';
import type { AuthenticatedOperator, OperatorAuth } from '../../auth/operator-auth';
import { bearerToken } from '../../auth/tokens';
import { parseWith } from '../validation';

/** The operator behind the request's session token (401 otherwise). */
export function operatorOf(auth: OperatorAuth, request: FastifyRequest): Promise<AuthenticatedOperator> {
  return auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
}

/** POST /provider/v1/auth/login and /logout, GET /provider/v1/auth/session. */
export function providerAuthRoutes(auth: OperatorAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/auth/login', async (request, reply) => {
      const body = parseWith(LoginRequest, request.body);
      const result = await auth.login(body.username, body.password, body.totp);
      return reply.code(201).send({ token: result.token, expires_at: result.expiresAt, operator: result.operator });
    });

    // The session behind the token (additive to API.md): lets a console check its session is alive.
    app.get('/provider/v1/auth/session', async (request) => {
      const { operator, session } = await operatorOf(auth, request);
      return { operator, expires_at: session.expiresAt };
    });

    app.post('/provider/v1/auth/logout', async (request, reply) => {
      const { session } = await operatorOf(auth, request);
      await auth.logout(session.id);
      return reply.code(204).send();
    });
    return Promise.resolve();
  };
}
