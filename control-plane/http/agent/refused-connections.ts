/**
 * Keep-alive connections that were refused with Retry-After, and until when. A request that comes on
 * such a connection before then is held until then (as nginx's limit_req delays rather than
 * rejects): an agent that ignores Retry-After gains nothing by it, and a flood on one connection costs
 * the server one request per Retry-After window instead of one refusal per request. A well-behaved
 * agent, waiting out Retry-After (whole seconds, never less than retry_after_ms), never waits here.
 */
export interface Connection {
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** Longest hold, whatever a refusal asked for: a connection is never parked for long. */
export const MAX_HOLD_MS = 30_000;

export class RefusedConnections {
  private readonly until = new WeakMap<Connection, number>();

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** The connection was just refused for `retryAfterMs`. */
  refuse(connection: Connection, retryAfterMs: number): void {
    this.until.set(connection, this.nowMs() + Math.min(Math.max(0, retryAfterMs), MAX_HOLD_MS));
  }

  /** Milliseconds a request arriving now on `connection` is held (0: none). */
  holdMs(connection: Connection): number {
    const until = this.until.get(connection);
    if (until === undefined) return 0;
    const left = until - this.nowMs();
    if (left <= 0) this.until.delete(connection);
    return Math.max(0, Math.ceil(left));
  }

  /** Resolves when the connection's hold is over, or at once if it has none; early if it closes. */
  wait(connection: Connection): Promise<void> {
    const ms = this.holdMs(connection);
    if (ms === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        connection.removeListener('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      connection.once('close', done);
    });
  }
}
