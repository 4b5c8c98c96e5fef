import { LedgerVerifyView } from '../../contracts/audit';
import { LicenseView } from '../../contracts/license';
import { LoginResponse } from '../../contracts/operators';
import { Tenant } from '../../contracts/tenants';
import { z } from 'zod';
import type { ConnectionView, IpcEvent, IpcEventPayload, IpcParsedRequest, SessionStatus } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import { formatFingerprint } from '../control-plane/tls-pin';
import type { IpcHandlers } from '../ipc/router';
import { pinnedFingerprint, type Connection, type Connections } from './connections';
import { operatorHandlers, type OperatorPort } from './operator-handlers';
import { tenantHandlers } from './tenant-handlers';
import { consoleTabHandlers } from './console-tab-handlers';
import type { FileSaver } from './file-saver';
import { simulatorHandlers } from './simulator-handlers';
import { fairnessWhatIfHandler } from './fairness-what-if-handler';
import type { SimulatorRunner, SimulatorTarget } from './simulator-runner';
import { breakGlassHandlers } from './break-glass-handlers';
import { HeldGrants } from './held-grants';
import { fleetHandlers } from './fleet-handlers';
import { witnessHandlers } from './witness-handlers';
import type { WitnessStore } from './witness-store';
import { OperatorSessions, signedOut } from './operator-sessions';

/** The embedded control plane's first run (EmbeddedControlPlane.setup). */
export interface FirstRun {
  setup(username: string, password: string): Promise<{ username: string; otpauth_uri: string; secret: string }>;
}

export interface ConsoleServiceOptions {
  version: string;
  mode: 'electron' | 'browser';
  connections: Connections;
  firstRun: FirstRun;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  clock?: () => Date;
  /** Where exports and reports are saved (a save dialog in Electron, a folder in browser mode); none: they are refused. */
  saveFile?: FileSaver;
  /** The simulator panel's runner (#21); none where the console runs without the simulator. */
  simulator?: SimulatorRunner;
  /** Where the heads this console witnessed are kept (#25); none: `audit:witness` is refused. */
  witnessStore?: WitnessStore;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * The console's main-process service: one operator session per connection (tokens never reach the
 * renderer), calls to the active connection's control plane, and the connections themselves. Its
 * handlers are the IPC router's.
 */
export class ConsoleService {
  private readonly sessions: OperatorSessions;
  private readonly connections: Connections;
  /** Break-glass grants (their tokens never reach the renderer); dropped with the session they came in. */
  private readonly grants: HeldGrants;

  constructor(private readonly options: ConsoleServiceOptions) {
    this.sessions = new OperatorSessions(options.clock);
    this.grants = new HeldGrants(options.clock);
    this.connections = options.connections;
  }

  /** Every channel but the idle lock's, which console-host.ts adds. */
  handlers(): Omit<IpcHandlers, 'lock:settings' | 'lock:configure'> {
    return {
      'app:info': () => Promise.resolve({ version: this.options.version, mode: this.options.mode, control_plane: this.connections.active().handle.status() }),
      'setup:enroll': async (request) => {
        if (this.connections.active().kind !== 'embedded') {
          throw new ConsoleError('forbidden', 'First-run setup is for the embedded control plane: switch to it first.');
        }
        return await this.options.firstRun.setup(request.username, request.password);
      },
      'session:status': () => Promise.resolve(this.sessionStatus()),
      'session:login': (request) => this.login(request),
      'session:logout': () => this.logout(),
      'license:get': () => this.asOperator('GET', '/provider/v1/license', LicenseView),
      'tenants:list': (request) => {
        const query = new URLSearchParams();
        if (request.state) query.set('state', request.state);
        if (request.limit) query.set('limit', String(request.limit));
        if (request.cursor) query.set('cursor', request.cursor);
        return this.asOperator('GET', `/provider/v1/tenants?${query.toString()}`, z.object({ items: z.array(Tenant), next_cursor: z.string().nullable() }));
      },
      'tenants:create': (request) => this.asOperator('POST', '/provider/v1/tenants', Tenant, request),
      'tenants:suspend': (request) => this.asOperator('POST', `/provider/v1/tenants/${encodeURIComponent(request.tenant)}/suspend`, Tenant, { reason: request.reason }),
      'tenants:resume': (request) => this.asOperator('POST', `/provider/v1/tenants/${encodeURIComponent(request.tenant)}/resume`, Tenant, { reason: request.reason }),
      'tenants:delete': async (request) => {
        await this.asOperator('DELETE', `/provider/v1/tenants/${encodeURIComponent(request.tenant)}`, null);
        return { deleted: true as const };
      },
      'audit:verify': () => this.asOperator('GET', '/provider/v1/audit/verify', LedgerVerifyView),
      'connections:list': () => Promise.resolve({ items: this.connections.all().map((connection) => this.view(connection)) }),
      'connections:add': async (request) => this.view(await this.connections.add(request)),
      'connections:remove': (request) => this.removeConnection(request.id),
      'connections:switch': (request) => this.switchConnection(request.id),
      'connections:test': (request) => this.connections.test(request),
      'controlplane:retry': () => this.connections.active().handle.retry(),
      ...operatorHandlers(this.operatorPort()),
      ...tenantHandlers({ asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body) }),
      ...consoleTabHandlers({
        asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body),
        downloadAsOperator: (path) => this.downloadAsOperator(path),
        saveFile: this.options.saveFile ?? (() => Promise.reject(new ConsoleError('forbidden', 'This console has nowhere to save files.'))),
      }),
      ...simulatorHandlers(this.options.simulator ?? null, { target: () => this.simulatorTarget() }),
      ...fairnessWhatIfHandler({ asOperator: (method, path, schema) => this.asOperator(method, path, schema) }),
      ...breakGlassHandlers({
        asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body),
        withGrant: async (path, schema, token) => {
          const answer = await this.call(this.connections.active(), 'GET', path, schema, { token });
          if (answer === null) throw new ConsoleError('internal_error', `The control plane answered GET ${path} without a body.`);
          return answer;
        },
        signedInConnection: () => (this.sessions.get(this.connections.activeId) === null ? null : this.connections.activeId),
        grants: this.grants,
      }),
      ...this.witnessHandlers(),
      ...fleetHandlers({ asOperator: (method, path, schema) => this.asOperator(method, path, schema), anonymous: (method, path, schema) => this.operatorPort().anonymous(method, path, schema, undefined) }),
    };
  }

  /**
   * The active connection's control plane and operator session, for the simulator's child process
   * (it gets them over its IPC channel). The simulator pins a CA, so a remote connection pinned by
   * a fingerprint only is refused.
   */
  private simulatorTarget(): SimulatorTarget {
    const connection = this.connections.active();
    const session = this.sessions.get(connection.id);
    if (session === null) throw new ConsoleError('unauthorized', 'Sign in first.');
    const target = this.connections.client(connection).target;
    if (!('caPem' in target)) {
      throw new ConsoleError('forbidden', 'The simulator trusts a control plane by its CA certificate: add this connection with its CA certificate to simulate against it.');
    }
    return { url: target.url, caPem: target.caPem, username: session.operator.username, token: session.token };
  }

  /** The console as a witness of the provider ledger (witness-handlers.ts), with the heads kept per connection. */
  private witnessHandlers(): ReturnType<typeof witnessHandlers> {
    const store = this.options.witnessStore;
    if (store === undefined) return { 'audit:witness': () => Promise.reject(new ConsoleError('forbidden', 'This console has nowhere to keep witnessed heads.')) };
    return witnessHandlers({
      asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body),
      anonymous: (method, path, schema) => this.operatorPort().anonymous(method, path, schema, undefined),
      signedInConnection: () => (this.sessions.get(this.connections.activeId) === null ? null : this.connections.activeId),
      store,
      clock: this.options.clock ?? (() => new Date()),
    });
  }

  /** What operator-handlers.ts needs of this service (enrollment, the account, operator administration). */
  private operatorPort(): OperatorPort {
    return {
      asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body),
      asOperatorNoContent: async (method, path, body) => {
        await this.asOperator(method, path, null, body);
      },
      anonymous: async (method, path, schema, body) => {
        const answer = await this.call(this.connections.active(), method, path, schema, { body });
        if (answer === null) throw new ConsoleError('internal_error', `The control plane answered ${method} ${path} without a body.`);
        return answer;
      },
      adoptSession: (answer) => this.adoptSession(this.connections.active(), answer),
    };
  }

  /**
   * A provider-plane call as the active connection's operator (the token stays here, in the main
   * process). A session the control plane no longer accepts is dropped and the renderer told; a
   * remote control plane that cannot be reached is marked so.
   */
  async asOperator<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  async asOperator(method: Method, path: string, schema: null, body?: unknown): Promise<null>;
  async asOperator<S extends z.ZodType>(method: Method, path: string, schema: S | null, body?: unknown): Promise<z.output<S> | null> {
    return this.asSession(async (connection, token) => {
      const result = await this.call(connection, method, path, schema, { token, ...(body === undefined ? {} : { body }) });
      if (schema !== null && result === null) {
        throw new ConsoleError('internal_error', `The control plane answered ${method} ${path} without a body.`);
      }
      return result;
    });
  }

  /** A file the control plane answers (a usage export or report), fetched as the active connection's operator. */
  async downloadAsOperator(path: string): Promise<{ bytes: Buffer; filename: string | null }> {
    return this.asSession((connection, token) => this.reaching(connection, () => this.connections.client(connection).download(path, token)));
  }

  /** Runs `work` with the active connection's session token; a session the control plane refuses is dropped. */
  private async asSession<T>(work: (connection: Connection, token: string) => Promise<T>): Promise<T> {
    const connection = this.connections.active();
    const session = this.sessions.get(connection.id);
    if (session === null) {
      throw new ConsoleError('unauthorized', 'Sign in first.');
    }
    try {
      return await work(connection, session.token);
    } catch (error) {
      if (error instanceof ConsoleError && (error.code === 'unauthorized' || error.code === 'session_expired')) {
        this.sessions.drop(connection.id);
        this.grants.dropConnection(connection.id);
        if (this.connections.activeId === connection.id) this.options.emit('session:changed', signedOut);
      }
      throw error;
    }
  }

  /** The active connection's session. */
  sessionStatus(): SessionStatus {
    return this.sessions.status(this.connections.activeId);
  }

  /** One call to a connection's control plane; tells a remote one whether it got through. */
  private call<S extends z.ZodType>(connection: Connection, method: Method, path: string, schema: S | null, options: { body?: unknown; token?: string | null }): Promise<z.output<S> | null> {
    return this.reaching(connection, () => this.connections.client(connection).call(method, path, schema, options));
  }

  /** Tells a remote connection whether `request` got through to it. */
  private async reaching<T>(connection: Connection, request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      if (connection.kind === 'remote') connection.handle.reachable();
      return result;
    } catch (error) {
      if (connection.kind === 'remote' && error instanceof ConsoleError && (error.code === 'control_plane_unreachable' || error.code === 'control_plane_untrusted')) {
        connection.handle.unreachable(error.message);
      }
      throw error;
    }
  }

  private async login(request: IpcParsedRequest<'session:login'>): Promise<SessionStatus> {
    const connection = this.connections.active();
    const answer = await this.call(connection, 'POST', '/provider/v1/auth/login', LoginResponse, { body: request });
    if (answer === null) {
      throw new ConsoleError('internal_error', 'The control plane answered the sign-in without a session.');
    }
    return this.adoptSession(connection, answer);
  }

  /** Keeps a connection's new session here (the token never reaches the renderer). */
  private adoptSession(connection: Connection, answer: LoginResponse): SessionStatus {
    this.sessions.set(connection.id, { token: answer.token, expiresAt: answer.expires_at, operator: answer.operator });
    const status = this.sessions.status(connection.id);
    this.options.emit('session:changed', this.sessionStatus());
    return status;
  }

  /** Whether any connection holds a session (the idle lock stays armed while one does). */
  signedInAnywhere(): boolean {
    return this.connections.all().some((connection) => this.sessions.get(connection.id) !== null);
  }

  /** Ends every connection's session (the idle lock): an unattended console keeps none. */
  async signOutEverywhere(): Promise<void> {
    await Promise.all(this.connections.all().map((connection) => this.endSession(connection)));
    this.options.emit('session:changed', signedOut);
  }

  private async logout(): Promise<SessionStatus> {
    await this.endSession(this.connections.active());
    this.options.emit('session:changed', signedOut);
    return signedOut;
  }

  /** Forgets a connection's session here and, when it can be reached, on its control plane. */
  private async endSession(connection: Connection): Promise<void> {
    const session = this.sessions.drop(connection.id);
    this.grants.dropConnection(connection.id);
    if (session === null) return;
    try {
      await this.connections.client(connection).call('POST', '/provider/v1/auth/logout', null, { token: session.token });
    } catch (error) {
      // The local session is gone either way; an unreachable control plane expires it on its own.
      if (!(error instanceof ConsoleError)) throw error;
    }
  }

  private async switchConnection(id: string): Promise<SessionStatus> {
    const connection = await this.connections.switchTo(id);
    this.options.emit('controlplane:status', connection.handle.status());
    const session = this.sessionStatus();
    this.options.emit('session:changed', session);
    return session;
  }

  private async removeConnection(id: string): Promise<{ removed: true }> {
    const connection = this.connections.get(id);
    if (connection.kind === 'embedded') {
      throw new ConsoleError('forbidden', 'The embedded control plane is part of this console and cannot be removed.');
    }
    await this.endSession(connection);
    const { wasActive } = await this.connections.remove(id);
    // Its witnessed heads go with it: an id is never reused, and a re-added plane is trusted anew.
    this.options.witnessStore?.forget(id);
    if (wasActive) {
      this.options.emit('controlplane:status', this.connections.active().handle.status());
      this.options.emit('session:changed', this.sessionStatus());
    }
    return { removed: true };
  }

  private view(connection: Connection): ConnectionView {
    const status = connection.handle.status();
    const session = this.sessions.get(connection.id);
    const common = {
      id: connection.id,
      name: connection.name,
      active: connection.id === this.connections.activeId,
      session: { signed_in: session !== null, username: session?.operator.username ?? null },
      status,
    };
    if (connection.kind === 'embedded') {
      const target = connection.handle.connection();
      return { ...common, kind: 'embedded', url: status.url, trust: 'embedded', fingerprint: target ? formatFingerprint(pinnedFingerprint(target)) : null, key_protection: connection.handle.keyProtection };
    }
    const target = connection.handle.target;
    return { ...common, kind: 'remote', url: target.url, trust: 'caPem' in target ? 'ca' : 'fingerprint', fingerprint: formatFingerprint(pinnedFingerprint(target)), key_protection: null };
  }

  async close(): Promise<void> {
    this.options.simulator?.close();
    await this.connections.close();
  }
}
