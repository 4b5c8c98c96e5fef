import type { HeldGrant } from '../../contracts/ipc';

interface Held extends HeldGrant {
  /** The `bhg_` token: it never leaves the main process. */
  token: string;
}

/**
 * The break-glass grants this console holds, per connection and request. A grant is forgotten when
 * its end passes, when the control plane says it ended (revoked, expired), and when the operator's
 * session on that connection ends: an unattended console keeps no way into a tenant's data.
 */
export class HeldGrants {
  private readonly grants = new Map<string, Map<string, Held>>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  hold(connectionId: string, grant: Held): void {
    const held = this.grants.get(connectionId) ?? new Map<string, Held>();
    held.set(grant.request_id, grant);
    this.grants.set(connectionId, held);
  }

  /** The grant for `requestId` while it has not reached its end, or null. */
  get(connectionId: string, requestId: string): Held | null {
    const grant = this.grants.get(connectionId)?.get(requestId) ?? null;
    if (grant === null) return null;
    if (Date.parse(grant.expires_at) <= this.clock().getTime()) {
      this.drop(connectionId, requestId);
      return null;
    }
    return grant;
  }

  /** What the renderer may know of a held grant: everything but the token. */
  view(connectionId: string, requestId: string): HeldGrant | null {
    const grant = this.get(connectionId, requestId);
    return grant === null ? null : { request_id: grant.request_id, tenant_id: grant.tenant_id, scope: grant.scope, expires_at: grant.expires_at };
  }

  drop(connectionId: string, requestId: string): void {
    this.grants.get(connectionId)?.delete(requestId);
  }

  dropConnection(connectionId: string): void {
    this.grants.delete(connectionId);
  }
}
