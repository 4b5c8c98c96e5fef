/**
 * The HTTPS server's connection timeouts (milliseconds), in one place: what an idle, slow or
 * half-open connection may hold before the server closes it. Their closes are counted by reason in
 * /metrics (http/connection-closes.ts).
 */
export interface ServerTimeouts {
  /**
   * An idle keep-alive connection is closed after this. Agents send every few seconds over one
   * connection; with 5 s, a request sent just before the server's timer fired, or read after a stall
   * of either side, met a closed connection ("other side closed", #23's bursts). Node announces it
   * (`Keep-Alive: timeout=N`) and undici stops reusing a connection 2 s before it.
   */
  keepAlive: number;
  /** The request line and headers must arrive within this (Node's sweep: 408 and closed). */
  headers: number;
  /** The whole request must arrive within this. */
  request: number;
  /** A TLS handshake must finish within this (Node's default, 120 s, lets a connection that never finishes one sit for 2 minutes). */
  tlsHandshake: number;
  /** How often Node sweeps connections for the headers and request timeouts. */
  checkEvery: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = { keepAlive: 65_000, headers: 15_000, request: 30_000, tlsHandshake: 30_000, checkEvery: 30_000 };
