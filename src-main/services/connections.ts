import { EMBEDDED_CONNECTION_ID, type ConnectionTestResult, type ControlPlaneStatus, type RemoteConnectionRequest } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import { ControlPlaneClient, type ControlPlaneTarget } from '../control-plane/client';
import { newConnectionId, type ConnectionStore, type StoredConnections, type StoredRemote } from '../control-plane/connection-store';
import { RemoteControlPlane } from '../control-plane/remote';
import { parseCaCertificate, sha256Hex } from '../control-plane/tls-pin';

/** What the console needs of the embedded control plane (EmbeddedControlPlane, or a stand-in in tests). */
export interface EmbeddedHandle {
  status(): ControlPlaneStatus;
  connection(): ControlPlaneTarget | null;
  retry(): Promise<ControlPlaneStatus>;
  readonly keyProtection: 'os_keychain' | 'file';
}

/** One connection as the service sees it: the embedded control plane or a remote one. */
export type Connection =
  | { id: typeof EMBEDDED_CONNECTION_ID; kind: 'embedded'; name: string; handle: EmbeddedHandle }
  | { id: string; kind: 'remote'; name: string; handle: RemoteControlPlane };

export const EMBEDDED_NAME = 'Embedded';

type PinRequest = { url: string; ca_pem?: string | undefined; fingerprint?: string | undefined };

/**
 * The console's connections: the embedded control plane (always there, never removed) and remote
 * ones, saved in the console's data dir. Exactly one is active; switching is explicit and saved.
 * One HTTPS client per connection, made anew when its target changes (an embedded restart listens
 * on a new port).
 */
export class Connections {
  private state: StoredConnections;
  private readonly remotes = new Map<string, RemoteControlPlane>();
  private readonly clients = new Map<string, { target: ControlPlaneTarget; client: ControlPlaneClient }>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly embedded: EmbeddedHandle,
    private readonly onStatus: (status: ControlPlaneStatus) => void = () => undefined,
  ) {
    this.state = store.load();
    for (const remote of this.state.remotes) {
      this.remotes.set(remote.id, new RemoteControlPlane(remote, onStatus));
    }
  }

  get activeId(): string {
    return this.state.active;
  }

  active(): Connection {
    return this.get(this.state.active);
  }

  all(): Connection[] {
    return [this.get(EMBEDDED_CONNECTION_ID), ...this.state.remotes.map((remote) => this.get(remote.id))];
  }

  get(id: string): Connection {
    if (id === EMBEDDED_CONNECTION_ID) {
      return { id: EMBEDDED_CONNECTION_ID, kind: 'embedded', name: EMBEDDED_NAME, handle: this.embedded };
    }
    const handle = this.remotes.get(id);
    if (handle === undefined) throw new ConsoleError('not_found', 'There is no such connection.');
    return { id, kind: 'remote', name: handle.remote.name, handle };
  }

  /** Checks the active remote control plane once at start-up (the embedded one starts on its own). */
  async checkActive(): Promise<void> {
    const active = this.active();
    if (active.kind === 'remote') await active.handle.retry();
  }

  /** The client for a connection that can be called now; a reason otherwise. */
  client(connection: Connection): ControlPlaneClient {
    const target = connection.handle.connection();
    if (target === null) {
      const status = connection.handle.status();
      throw new ConsoleError(status.state === 'setup_required' ? 'setup_required' : 'control_plane_unreachable', status.message ?? 'The control plane is not running yet.');
    }
    const cached = this.clients.get(connection.id);
    if (cached?.target === target) return cached.client;
    void cached?.client.close();
    const client = new ControlPlaneClient(target);
    this.clients.set(connection.id, { target, client });
    return client;
  }

  /** Tests a connection (saved, or about to be added) over a new connection: which pin matched, and the chain. */
  async test(request: { id: string } | PinRequest): Promise<ConnectionTestResult> {
    if (!('id' in request)) return probe(pinnedTarget(request));
    const connection = this.get(request.id);
    const target = connection.handle.connection();
    if (target === null) throw this.notRunning(connection);
    if (connection.kind === 'embedded') return probe(target);
    // A saved remote connection's status follows what its test found.
    try {
      const result = await probe(target);
      connection.handle.reachable();
      return result;
    } catch (error) {
      if (error instanceof ConsoleError) connection.handle.unreachable(error.message);
      throw error;
    }
  }

  /** Adds a remote control plane once it answers with a certificate its pin accepts; it is not made active. */
  async add(request: RemoteConnectionRequest): Promise<Connection> {
    const name = request.name.trim();
    if (this.all().some((connection) => connection.name.toLowerCase() === name.toLowerCase())) {
      throw new ConsoleError('conflict', `There is already a connection named ${name}.`, { issues: [{ path: 'name', message: 'already used by another connection' }] });
    }
    const target = pinnedTarget(request);
    await this.test(request);
    const remote: StoredRemote = {
      id: newConnectionId(),
      name,
      url: target.url,
      ...('caPem' in target ? { ca_pem: target.caPem } : { fingerprint: target.fingerprint }),
      added_at: new Date().toISOString(),
    };
    this.save({ ...this.state, remotes: [...this.state.remotes, remote] });
    const handle = new RemoteControlPlane(remote, this.onStatus);
    this.remotes.set(remote.id, handle);
    handle.reachable();
    return this.get(remote.id);
  }

  /** Removes a remote connection; removing the active one makes the embedded control plane active. */
  async remove(id: string): Promise<{ wasActive: boolean }> {
    if (id === EMBEDDED_CONNECTION_ID) {
      throw new ConsoleError('forbidden', 'The embedded control plane is part of this console and cannot be removed.');
    }
    this.get(id);
    const wasActive = this.state.active === id;
    this.save({ ...this.state, active: wasActive ? EMBEDDED_CONNECTION_ID : this.state.active, remotes: this.state.remotes.filter((remote) => remote.id !== id) });
    this.remotes.delete(id);
    const cached = this.clients.get(id);
    this.clients.delete(id);
    await cached?.client.close();
    return { wasActive };
  }

  /** Makes a connection active (saved); a remote one is checked now, so its status is current. */
  async switchTo(id: string): Promise<Connection> {
    const connection = this.get(id);
    if (this.state.active !== id) this.save({ ...this.state, active: id });
    if (connection.kind === 'remote') await connection.handle.retry();
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map(({ client }) => client.close()));
    this.clients.clear();
  }

  private save(state: StoredConnections): void {
    this.store.save(state);
    this.state = state;
  }

  private notRunning(connection: Connection): ConsoleError {
    const status = connection.handle.status();
    return new ConsoleError('control_plane_unreachable', status.message ?? `${connection.name} is not running.`);
  }
}

/** One new, pinned connection: GET /healthz, and what its handshake proved. */
async function probe(target: ControlPlaneTarget): Promise<ConnectionTestResult> {
  const client = new ControlPlaneClient(target);
  try {
    const peer = await client.probe();
    return { url: target.url, matched: peer.matched, chain: peer.chain };
  } finally {
    await client.close();
  }
}

/** The target a request pins, with a pasted CA certificate checked (one CA certificate, parsed). */
function pinnedTarget(request: PinRequest): ControlPlaneTarget {
  if (request.ca_pem !== undefined) {
    const { cert } = parseCaCertificate(request.ca_pem);
    return { url: request.url, caPem: cert.toString() };
  }
  if (request.fingerprint !== undefined) return { url: request.url, fingerprint: request.fingerprint };
  throw new ConsoleError('invalid_request', 'Give the CA certificate or a SHA-256 fingerprint.', { issues: [{ path: 'ca_pem', message: 'give the CA certificate or a SHA-256 fingerprint' }] });
}

/** SHA-256 of what a connection pins (its CA certificate, or the fingerprint itself), lowercase hex. */
export function pinnedFingerprint(target: ControlPlaneTarget): string {
  return 'caPem' in target ? sha256Hex(parseCaCertificate(target.caPem).cert.raw) : target.fingerprint;
}
