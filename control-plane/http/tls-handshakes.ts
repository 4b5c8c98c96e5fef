import type { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Histogram } from 'prom-client';

/**
 * Upper bounds (seconds) of the handshake histogram: 1 ms (a loopback handshake on an idle server)
 * to 30 s (past any client's connect timeout). 1 s and 5 s are bounds, so a bench can count the
 * handshakes slower than each exactly.
 */
export const HANDSHAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** `completed`: the connection reached `secureConnection`; `incomplete`: it closed before that (failed, abandoned by its client, or timed out). */
export type HandshakeOutcome = 'completed' | 'incomplete';

/** The socket events the timer listens to (tests pass real sockets). */
type Raw = Pick<Socket, 'once' | 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>;

/**
 * How long the server's TLS handshakes take, from the connection's `connection` event (accepted by
 * the server's event loop: time in the kernel's accept queue is not in it) to `secureConnection`,
 * and how long the ones that never completed lasted before their connection closed. For /metrics:
 * under a fleet of agents it tells a slow server-side handshake from a starved client (#23).
 * Labels are the outcome only; no address or name is kept past the handshake.
 */
export class TlsHandshakes {
  readonly histogram = new Histogram({
    name: 'bulkhead_tls_handshake_duration_seconds',
    help: 'TLS handshakes by outcome: completed (connection accepted to secureConnection) or incomplete (accepted to closed without completing: failed, abandoned or timed out; why is in bulkhead_http_connections_closed{reason=~"tls_handshake_.*"})',
    labelNames: ['outcome'],
    buckets: HANDSHAKE_BUCKETS,
    // Registered by the /metrics route's own registry, not prom-client's global one (one per app).
    registers: [],
  });
  /**
   * Connections mid-handshake by their 4-tuple (unique while open), so `secureConnection`'s TLS
   * socket finds its raw socket's start: Node gives no public link between the two. Each entry
   * leaves at `secureConnection` or when its raw socket closes, whichever is first.
   */
  private readonly pending = new Map<string, { started: number; completed: boolean }>();

  constructor(private readonly now: () => number = () => performance.now()) {
    // Both outcomes present from the start, at zero.
    this.histogram.zero({ outcome: 'completed' });
    this.histogram.zero({ outcome: 'incomplete' });
  }

  private static key(socket: Pick<Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>): string | null {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    return remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined ? null : `${remoteAddress}|${remotePort}|${localAddress}|${localPort}`;
  }

  /** A raw connection was accepted: its handshake starts now. */
  accepted(socket: Raw): void {
    const entry = { started: this.now(), completed: false };
    const key = TlsHandshakes.key(socket);
    // A socket already reset has no address: still timed, to its close.
    if (key !== null) this.pending.set(key, entry);
    // The raw socket closes whatever happened to the TLS socket over it (tested): the one sure end.
    socket.once('close', () => {
      if (key !== null && this.pending.get(key) === entry) this.pending.delete(key);
      if (!entry.completed) this.histogram.observe({ outcome: 'incomplete' }, (this.now() - entry.started) / 1000);
    });
  }

  /** A TLS socket finished its handshake. */
  secured(socket: Pick<TLSSocket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>): void {
    const key = TlsHandshakes.key(socket);
    const entry = key === null ? undefined : this.pending.get(key);
    if (key === null || entry === undefined) return;
    this.pending.delete(key);
    entry.completed = true;
    this.histogram.observe({ outcome: 'completed' }, (this.now() - entry.started) / 1000);
  }

  /** Times an HTTPS server's handshakes (a plain HTTP server has none: nothing is counted). */
  watch(server: HttpServer): void {
    if (!(server instanceof HttpsServer)) return;
    // After Node's own listener, which wraps the raw socket in its TLS socket (and starts reading).
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
  }
}
