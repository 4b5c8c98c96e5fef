import type { ControlPlaneStatus } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import { ControlPlaneClient, type ControlPlaneTarget } from './client';
import type { StoredRemote } from './connection-store';

/** The target a saved remote connection pins. */
export function remoteTarget(remote: StoredRemote): ControlPlaneTarget {
  if (remote.ca_pem !== undefined) return { url: remote.url, caPem: remote.ca_pem };
  if (remote.fingerprint !== undefined) return { url: remote.url, fingerprint: remote.fingerprint };
  throw new ConsoleError('internal_error', `The connection ${remote.name} pins nothing.`);
}

/**
 * A control plane someone else runs (`control-plane serve`). The console does not start or stop it:
 * its status is what the last check or call found, `ready` or `failed` (not reachable, or not the
 * pinned one). Until it is first checked it is `starting`.
 */
export class RemoteControlPlane {
  private current: ControlPlaneStatus;
  readonly target: ControlPlaneTarget;

  constructor(
    readonly remote: StoredRemote,
    private readonly onStatus: (status: ControlPlaneStatus) => void = () => undefined,
  ) {
    this.target = remoteTarget(remote);
    this.current = { kind: 'remote', connection_id: remote.id, url: remote.url, state: 'starting', message: 'Not checked yet.' };
  }

  status(): ControlPlaneStatus {
    return this.current;
  }

  /** Calls go to a remote control plane even after a failed check: a call that gets through marks it ready again. */
  connection(): ControlPlaneTarget {
    return this.target;
  }

  /** Checks it now (GET /healthz over a new, pinned connection). */
  async retry(): Promise<ControlPlaneStatus> {
    const client = new ControlPlaneClient(this.target);
    try {
      await client.probe();
      return this.reachable();
    } catch (error) {
      if (!(error instanceof ConsoleError)) throw error;
      return this.unreachable(error.message);
    } finally {
      await client.close();
    }
  }

  reachable(): ControlPlaneStatus {
    return this.current.state === 'ready' ? this.current : this.set('ready', null);
  }

  unreachable(message: string): ControlPlaneStatus {
    return this.set('failed', message);
  }

  private set(state: 'ready' | 'failed', message: string | null): ControlPlaneStatus {
    this.current = { kind: 'remote', connection_id: this.remote.id, url: this.remote.url, state, message };
    this.onStatus(this.current);
    return this.current;
  }
}
