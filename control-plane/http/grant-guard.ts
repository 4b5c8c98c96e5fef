import type { FastifyInstance } from 'fastify';
import { errorEnvelope } from '../../contracts/errors';
import { GrantAuth } from '../breakglass/grant-access';
import { isWrite, scopeForRoute } from '../breakglass/grant-scopes';

/**
 * A break-glass grant (`bhg_`) is read-only and reaches only the routes of its scopes: on every
 * other tenant-plane route it is refused here, before any handler runs, with a code that says why
 * (`grant_read_only` for any write, `grant_scope_missing` for a read no scope covers). The scoped
 * routes themselves check the grant (GrantAuth). Register after the route table (it sets the plane).
 */
export function registerGrantGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.plane !== 'tenant' || !GrantAuth.presented(request.headers.authorization)) {
      return;
    }
    if (isWrite(request.method)) {
      return reply.code(403).send(errorEnvelope('grant_read_only', 'A break-glass grant is read-only: it cannot change anything.', { method: request.method }));
    }
    const route = request.routeOptions.url ?? '';
    if (scopeForRoute(request.method, route) === null) {
      return reply.code(403).send(errorEnvelope('grant_scope_missing', `No break-glass scope covers ${route}.`, { route }));
    }
  });
}
