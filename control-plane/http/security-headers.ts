import type { FastifyInstance } from 'fastify';

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

/**
 * Headers every API answer carries: nothing sniffs a JSON body into something else, nothing caches
 * an answer (they carry tokens, tenants' names, ledgers), no page frames one; and outside loopback,
 * HSTS, since the control plane only ever speaks HTTPS.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', 'no-store');
    void reply.header('x-frame-options', 'DENY');
    if (!LOOPBACK_HOST.test(request.headers.host ?? '')) {
      void reply.header('strict-transport-security', 'max-age=31536000');
    }
    return payload;
  });
}
