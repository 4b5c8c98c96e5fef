import type { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/**
 * Why the server's connections closed, counted for /metrics: bursts of closed connections under a
 * fleet of agents (docs/benchmarks.md, #23) are told apart by reason, not guessed at. A reason the
 * server gives (`mark`) wins over what the socket shows when it closes.
 */
export const CLOSE_REASONS = [
  /** Idle past the server's keep-alive timeout (server.keepAliveTimeout): closed by the server. */
  'keep_alive_timeout',
  /** The request's headers did not arrive within headersTimeout: 408 and closed. */
  'headers_timeout',
  /** The whole request did not arrive within requestTimeout: 408 and closed. */
  'request_timeout',
  /** Refused for the agent's or tenant's connection bound (ingest/connection-bounds.ts): 429 and closed. */
  'connection_bound',
  /** What Node's HTTP parser refused (a malformed request, headers too large): 400/431 and closed. */
  'bad_request',
  /** The client ended the connection (its FIN came first). */
  'client_closed',
  /** The connection was reset or broke (ECONNRESET, EPIPE) without the server closing it. */
  'client_reset',
  /** The TLS handshake failed (not TLS, a bad client hello, no shared cipher). */
  'tls_handshake_failed',
  /** The client closed or reset the connection mid-handshake (e.g. its connect timeout ran out). */
  'tls_handshake_aborted',
  /** The TLS handshake did not finish within the server's handshakeTimeout. */
  'tls_handshake_timeout',
  /** The server ended it otherwise: a `Connection: close` answer, shutting down. */
  'server_closed',
] as const;

export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Sockets as the counter sees them: events only (tests pass real sockets). */
type Tracked = Pick<Socket, 'once' | 'on' | 'prependOnceListener' | 'writableEnded'>;

export class ConnectionCloses {
  private readonly counts = new Map<CloseReason, number>(CLOSE_REASONS.map((reason) => [reason, 0]));
  private readonly reasons = new WeakMap<object, CloseReason>();

  /** The server is closing `socket` for `reason`; counted when it closes (the first reason given wins). */
  mark(socket: object, reason: CloseReason): void {
    if (!this.reasons.has(socket)) this.reasons.set(socket, reason);
  }

  /** Closed connections by reason since start, every reason present. */
  counted(): Record<CloseReason, number> {
    return Object.fromEntries(this.counts) as Record<CloseReason, number>;
  }

  private count(reason: CloseReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** Counts the reason of each connection `socket` carries once it closes. */
  track(socket: Tracked): void {
    let clientEnded = false;
    let errorCode: string | undefined;
    // The client's FIN before the server ended its side: the client closed it. First in line: Node's
    // own 'end' listener ends the server's side at once (allowHalfOpen is off).
    socket.prependOnceListener('end', () => {
      if (!socket.writableEnded) clientEnded = true;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      errorCode ??= error.code;
    });
    socket.once('close', () => {
      const marked = this.reasons.get(socket);
      this.count(marked ?? (clientEnded ? 'client_closed' : errorCode === 'ECONNRESET' || errorCode === 'EPIPE' ? 'client_reset' : 'server_closed'));
    });
  }

  /**
   * Watches an HTTP(S) server's connections. It takes over the server's `timeout` event (the
   * keep-alive timeout is the only socket timeout the control plane sets: fastify's connectionTimeout
   * is 0), so it destroys the timed-out socket itself, as Node does when nothing listens.
   */
  watch(server: HttpServer): void {
    // Over HTTPS the HTTP layer's sockets are the TLS sockets, known once their handshake is done.
    server.on(server instanceof HttpsServer ? 'secureConnection' : 'connection', (socket: Socket) => this.track(socket));
    server.on('timeout', (socket: Socket) => {
      this.mark(socket, 'keep_alive_timeout');
      socket.destroy();
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        // Node's sweep gives one code for both: a request whose headers arrived has an incoming message.
        const incoming = (socket as { parser?: { incoming?: unknown } | null }).parser?.incoming;
        this.mark(socket, incoming === undefined || incoming === null ? 'headers_timeout' : 'request_timeout');
      } else if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        this.mark(socket, 'client_reset');
      } else {
        this.mark(socket, 'bad_request');
      }
    });
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      // Never a secure connection, so never tracked: counted here, once per socket.
      const code = error.code ?? '';
      this.count(code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'tls_handshake_timeout' : code === 'ECONNRESET' || code === 'EPIPE' ? 'tls_handshake_aborted' : 'tls_handshake_failed');
      if (!socket.destroyed) socket.destroy();
    });
  }
}
