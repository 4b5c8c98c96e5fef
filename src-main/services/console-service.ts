import { LedgerVerifyView } from '../../contracts/audit';
import { LicenseView } from '../../contracts/license';
import { LoginResponse } from '../../contracts/operators';
import { Tenant } from '../../contracts/tenants';
import { z } from 'zod';
import type { ControlPlaneStatus, IpcEvent, IpcEventPayload, IpcParsedRequest, SessionStatus } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import { ControlPlaneClient, type ControlPlaneTarget } from '../control-plane/client';
import type { IpcHandlers } from '../ipc/router';
import { operatorHandlers, type OperatorPort } from './operator-handlers';

/** What the console service needs of the control plane it manages (embedded or remote). */
export interface ControlPlaneHandle {
  status(): ControlPlaneStatus;
  connection(): ControlPlaneTarget | null;
  setup(username: string, password: string): Promise<{ username: string; otpauth_uri: string; secret: string }>;
}

export interface ConsoleServiceOptions {
  version: string;
  mode: 'electron' | 'browser';
  controlPlane: ControlPlaneHandle;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  clock?: () => Date;
}

interface Session {
  token: string;
  expiresAt: string;
  operator: LoginResponse['operator'];
}

const signedOut: SessionStatus = { signed_in: false, operator: null, expires_at: null };

/**
 * The console's main-process service: holds the operator session (the token never reaches the
 * renderer) and talks to the control plane. Its handlers are the IPC router's.
 */
export class ConsoleService {
  private session: Session | null = null;
  private client: ControlPlaneClient | null = null;
  private clientTarget: ControlPlaneTarget | null = null;
  private readonly clock: () => Date;

  constructor(private readonly options: ConsoleServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Every channel but the idle lock's, which console-host.ts adds. */
  handlers(): Omit<IpcHandlers, 'lock:settings' | 'lock:configure'> {
    return {
      'app:info': () => Promise.resolve({ version: this.options.version, mode: this.options.mode, control_plane: this.options.controlPlane.status() }),
      'setup:enroll': (request) => this.options.controlPlane.setup(request.username, request.password),
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
      ...operatorHandlers(this.operatorPort()),
    };
  }

  /** What operator-handlers.ts needs of this service (enrollment, the account, operator administration). */
  private operatorPort(): OperatorPort {
    return {
      asOperator: (method, path, schema, body) => this.asOperator(method, path, schema, body),
      asOperatorNoContent: async (method, path, body) => {
        await this.asOperator(method, path, null, body);
      },
      anonymous: async (method, path, schema, body) => {
        const answer = await this.controlPlane().call(method, path, schema, { body });
        if (answer === null) throw new ConsoleError('internal_error', `The control plane answered ${method} ${path} without a body.`);
        return answer;
      },
      adoptSession: (answer) => this.adoptSession(answer),
    };
  }

  /**
   * A provider-plane call with the operator's session (the token stays here, in the main process).
   * A session the control plane no longer accepts is dropped and the renderer told.
   */
  private async asOperator<S extends z.ZodType>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  private async asOperator(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, schema: null, body?: unknown): Promise<null>;
  private async asOperator<S extends z.ZodType>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, schema: S | null, body?: unknown): Promise<z.output<S> | null> {
    const session = this.sessionStatus().signed_in ? this.session : null;
    if (session === null) {
      throw new ConsoleError('unauthorized', 'Sign in first.');
    }
    try {
      const result = await this.controlPlane().call(method, path, schema, { token: session.token, ...(body === undefined ? {} : { body }) });
      if (schema !== null && result === null) {
        throw new ConsoleError('internal_error', `The control plane answered ${method} ${path} without a body.`);
      }
      return result;
    } catch (error) {
      if (error instanceof ConsoleError && (error.code === 'unauthorized' || error.code === 'session_expired')) {
        this.session = null;
        this.options.emit('session:changed', signedOut);
      }
      throw error;
    }
  }

  sessionStatus(): SessionStatus {
    if (this.session && Date.parse(this.session.expiresAt) <= this.clock().getTime()) {
      this.session = null;
    }
    return this.session ? { signed_in: true, operator: this.session.operator, expires_at: this.session.expiresAt } : signedOut;
  }

  private controlPlane(): ControlPlaneClient {
    const target = this.options.controlPlane.connection();
    if (target === null) {
      const status = this.options.controlPlane.status();
      throw new ConsoleError(status.state === 'setup_required' ? 'setup_required' : 'control_plane_unreachable', status.message ?? 'The control plane is not running yet.');
    }
    if (this.client === null || this.clientTarget !== target) {
      void this.client?.close();
      this.client = new ControlPlaneClient(target);
      this.clientTarget = target;
    }
    return this.client;
  }

  private async login(request: IpcParsedRequest<'session:login'>): Promise<SessionStatus> {
    const answer = await this.controlPlane().call('POST', '/provider/v1/auth/login', LoginResponse, { body: request });
    if (answer === null) {
      throw new ConsoleError('internal_error', 'The control plane answered the sign-in without a session.');
    }
    return this.adoptSession(answer);
  }

  private adoptSession(answer: LoginResponse): SessionStatus {
    this.session = { token: answer.token, expiresAt: answer.expires_at, operator: answer.operator };
    const status = this.sessionStatus();
    this.options.emit('session:changed', status);
    return status;
  }

  private async logout(): Promise<SessionStatus> {
    const session = this.session;
    this.session = null;
    if (session) {
      try {
        await this.controlPlane().call('POST', '/provider/v1/auth/logout', null, { token: session.token });
      } catch (error) {
        // The local session is gone either way; an unreachable control plane expires it on its own.
        if (!(error instanceof ConsoleError)) {
          throw error;
        }
      }
    }
    this.options.emit('session:changed', signedOut);
    return signedOut;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
