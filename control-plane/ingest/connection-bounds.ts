/**
 * A bound on the keep-alive connections one agent token, and one tenant, may hold open for ingest.
 * A well-behaved agent sends over one or two connections; a flood from many connections multiplies
 * what the server holds (a TLS session and buffers each) and what it reads. A connection counts for
 * the token (and tenant) of the first ingest request it carries, from then until it closes; one over
 * the bound is refused (the route answers 429 with Retry-After and closes it, see docs/ingest.md).
 *
 * A connection's token is known only once its first request is authenticated: a connection that
 * never sends one is bounded by the server's header and keep-alive timeouts, not here.
 */
export interface CountedConnection {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

export interface ConnectionLimits {
  /** Connections one agent token may hold open (default 8: four times what a well-behaved agent uses). */
  perAgent: number;
  /** Connections all of one tenant's agents may hold open together. */
  perTenant: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perAgent: 8, perTenant: 2_048 };

/** Why a connection was refused: which bound, and its value. */
export interface ConnectionRefusal {
  scope: 'agent' | 'tenant';
  limit: number;
}

export class ConnectionBounds {
  private readonly counted = new WeakSet<CountedConnection>();
  private readonly perToken = new Map<string, number>();
  private readonly perTenant = new Map<string, number>();

  constructor(readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {}

  /**
   * Counts `connection` for the token and tenant of its first request, or refuses it (null: it may
   * carry the request). A counted connection is never refused later, whatever token it carries then.
   */
  claim(connection: CountedConnection, tokenId: string, tenantId: string): ConnectionRefusal | null {
    if (this.counted.has(connection) || connection.destroyed) return null;
    if ((this.perToken.get(tokenId) ?? 0) >= this.limits.perAgent) return { scope: 'agent', limit: this.limits.perAgent };
    if ((this.perTenant.get(tenantId) ?? 0) >= this.limits.perTenant) return { scope: 'tenant', limit: this.limits.perTenant };
    this.counted.add(connection);
    adjust(this.perToken, tokenId, 1);
    adjust(this.perTenant, tenantId, 1);
    connection.once('close', () => {
      adjust(this.perToken, tokenId, -1);
      adjust(this.perTenant, tenantId, -1);
    });
    return null;
  }

  /** Open connections counted for a token and for a tenant (for tests and metrics). */
  open(tokenId: string, tenantId: string): { agent: number; tenant: number } {
    return { agent: this.perToken.get(tokenId) ?? 0, tenant: this.perTenant.get(tenantId) ?? 0 };
  }
}

/** Counts go up and down; a key at zero is removed, so the maps hold only tokens with connections open. */
function adjust(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
