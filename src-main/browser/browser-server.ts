import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ipcError, type IpcEvent, type IpcEventPayload } from '../../contracts/ipc';
import type { IpcRouter } from '../ipc/router';
import { CONSOLE_CSP } from '../security/csp';

export { CONSOLE_CSP };

const COOKIE = 'bulkhead_console';

export interface BrowserServerOptions {
  router: IpcRouter;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** The per-launch secret; random when absent. */
  launchSecret?: string;
}

export interface BrowserServer {
  app: FastifyInstance;
  launchSecret: string;
  /** Sends a main → renderer event to every open page. */
  broadcast<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) {
    return false;
  }
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Browser mode: the console's IPC router served to a browser on loopback. A page gets in only
 * through the launch URL carrying the per-launch secret, which sets an HttpOnly SameSite=Strict
 * cookie; every other request needs that cookie, a loopback Host (no DNS rebinding) and, for
 * calls, a same-origin Origin. It never listens itself (see cli.ts).
 */
export async function buildBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const launchSecret = options.launchSecret ?? randomBytes(32).toString('base64url');
  const cookieValue = randomBytes(32).toString('base64url');
  const streams = new Set<ServerResponse>();
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  await app.register(fastifyCookie);

  const securityHeaders = (reply: FastifyReply) =>
    reply.headers({
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    });

  const loopbackHost = (request: FastifyRequest) => /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(request.headers.host ?? '');

  app.addHook('onRequest', async (request, reply) => {
    securityHeaders(reply);
    if (!loopbackHost(request)) {
      return reply.code(421).type('text/plain').send('Browser mode answers only on loopback addresses.');
    }
    if (request.url.startsWith('/launch')) {
      return;
    }
    if (!sameSecret(request.cookies[COOKIE], cookieValue)) {
      return reply
        .code(401)
        .type('text/plain')
        .send('Open the console with the link printed by `npm run console:browser` (it carries this launch\'s secret).');
    }
    if (request.method !== 'GET') {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) {
        return reply.code(403).type('application/json').send(ipcError('forbidden', 'Cross-origin calls are refused.'));
      }
    }
  });

  app.get<{ Querystring: { secret?: string } }>('/launch', (request, reply) => {
    if (!sameSecret(request.query.secret, launchSecret)) {
      return reply.code(403).type('text/plain').send('This launch link is not valid for this console run.');
    }
    void reply.setCookie(COOKIE, cookieValue, { httpOnly: true, sameSite: 'strict', path: '/', secure: false });
    return reply.redirect('/', 303);
  });

  app.post<{ Params: { channel: string } }>('/ipc/:channel', async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/json')) {
      return reply.code(415).send(ipcError('unsupported_media_type', 'Calls are JSON.'));
    }
    return reply.send(await options.router.handle(request.params.channel, request.body, { trustedSender: true }));
  });

  app.get('/events', (request, reply) => {
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    stream.write(': connected\n\n');
    streams.add(stream);
    request.raw.once('close', () => streams.delete(stream));
  });

  await app.register(fastifyStatic, { root: options.rendererDir, index: ['index.html'], wildcard: false, serveDotFiles: false });

  // Event streams never end on their own: end them before the server waits for its connections.
  app.addHook('preClose', (done) => {
    for (const stream of streams) {
      stream.end();
    }
    streams.clear();
    done();
  });

  return {
    app,
    launchSecret,
    broadcast(event, payload) {
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const stream of streams) {
        stream.write(frame);
      }
    },
  };
}
