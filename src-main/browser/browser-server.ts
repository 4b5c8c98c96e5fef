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
  /** Listens on 127.0.0.1 (`port` 0 picks a free one); only then does any request pass the Host check. */
  listen(port: number): Promise<{ port: number; launchUrl: string }>;
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

/** A short HTML page for a refused visit: the browser shows a sentence, not a bare status. */
function refusalPage(title: string, message: string): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`;
}

/**
 * Browser mode: the console's IPC router served to a browser on loopback. A page gets in only
 * through the launch URL carrying the per-launch secret, once: its first use sets an HttpOnly
 * SameSite=Strict cookie and consumes it, so a link read from a terminal, shell history or a
 * process list after that is refused. Every request needs that cookie, a Host of exactly this
 * server's loopback address and port (no DNS rebinding, no other local port's page) and, when it
 * sends one, a same-origin Origin.
 */
export async function buildBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const launchSecret = options.launchSecret ?? randomBytes(32).toString('base64url');
  const cookieValue = randomBytes(32).toString('base64url');
  let launchUsed = false;
  /** Host headers this server answers: its own loopback address and port, once it listens. */
  let allowedHosts = new Set<string>();
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

  const refuse = (reply: FastifyReply, status: number, title: string, message: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(refusalPage(title, message));
  const admitted = (request: FastifyRequest) => sameSecret(request.cookies[COOKIE], cookieValue);

  app.addHook('onRequest', async (request, reply) => {
    securityHeaders(reply);
    const host = request.headers.host ?? '';
    if (!allowedHosts.has(host)) {
      return refuse(reply, 421, 'Wrong address', 'This Bulkhead console answers only at the loopback address and port its launch link names.');
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return reply.code(403).type('application/json').send(ipcError('forbidden', 'Cross-origin requests are refused.'));
    }
    if (request.url.startsWith('/launch')) {
      return;
    }
    if (!admitted(request)) {
      return refuse(reply, 401, 'Open the console with its launch link', 'Open the console with the link printed by `npm start` or `npm run console:browser` (it carries this launch\'s secret, and works once).');
    }
  });

  app.get<{ Querystring: { secret?: string } }>('/launch', (request, reply) => {
    if (!sameSecret(request.query.secret, launchSecret)) {
      return refuse(reply, 403, 'Not a launch link of this console', 'This launch link is not valid for this console run.');
    }
    if (launchUsed) {
      // The browser that used it already holds the cookie: clicking the link again just opens the console.
      if (admitted(request)) {
        return reply.redirect('/', 303);
      }
      return refuse(
        reply,
        410,
        'This launch link was already used',
        'Each launch link opens the console once. Go back to the tab it opened, or restart the console (`npm start` or `npm run console:browser`) for a new link. If you did not open it yourself, someone else on this machine did: stop the console.',
      );
    }
    launchUsed = true;
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
    async listen(port) {
      await app.listen({ host: '127.0.0.1', port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
      return { port: bound, launchUrl: `http://127.0.0.1:${bound}/launch?secret=${launchSecret}` };
    },
    broadcast(event, payload) {
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const stream of streams) {
        stream.write(frame);
      }
    },
  };
}
