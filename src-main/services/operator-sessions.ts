import type { SessionStatus } from '../../contracts/ipc';
import type { LoginResponse } from '../../contracts/operators';

export interface OperatorSession {
  token: string;
  expiresAt: string;
  operator: LoginResponse['operator'];
}

export const signedOut: SessionStatus = { signed_in: false, operator: null, expires_at: null };

/**
 * One operator session per connection, in the main process's memory only: tokens never reach the
 * renderer and are never written to disk. A session past its expiry is forgotten when read.
 */
export class OperatorSessions {
  private readonly sessions = new Map<string, OperatorSession>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  get(connectionId: string): OperatorSession | null {
    const session = this.sessions.get(connectionId);
    if (session === undefined) return null;
    if (Date.parse(session.expiresAt) <= this.clock().getTime()) {
      this.sessions.delete(connectionId);
      return null;
    }
    return session;
  }

  set(connectionId: string, session: OperatorSession): void {
    this.sessions.set(connectionId, session);
  }

  /** Forgets a connection's session; answers the one forgotten, if any. */
  drop(connectionId: string): OperatorSession | null {
    const session = this.get(connectionId);
    this.sessions.delete(connectionId);
    return session;
  }

  status(connectionId: string): SessionStatus {
    const session = this.get(connectionId);
    return session ? { signed_in: true, operator: session.operator, expires_at: session.expiresAt } : signedOut;
  }
}
