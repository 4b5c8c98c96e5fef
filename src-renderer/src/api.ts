// The renderer's one way to talk to the console: every answer is validated against the contract,
// results are returned and error envelopes are thrown as ConsoleError (what react-query expects).
import { type ErrorBody, type ErrorCode } from '../../contracts/errors';
import {
  ipcEvents,
  parseIpcEnvelope,
  type BulkheadBridge,
  type IpcChannel,
  type IpcEvent,
  type IpcEventPayload,
  type IpcRequest,
  type IpcResponse,
} from '../../contracts/ipc';

export class ConsoleError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'ConsoleError';
    this.code = body.code;
    this.details = body.details;
  }
}

export function isConsoleError(error: unknown): error is ConsoleError {
  return error instanceof ConsoleError;
}

export type ConsoleApi = {
  /** Calls `channel`: its validated result, or throws ConsoleError. */
  call: <C extends IpcChannel>(channel: C, request: IpcRequest<C>) => Promise<IpcResponse<C>>;
  /** Subscribes to a main → renderer event; payloads off the contract are dropped. Returns the unsubscribe. */
  on: <E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void) => () => void;
};

type BridgeMethod = (request?: unknown) => Promise<unknown>;

function methodFor(bridge: BulkheadBridge, channel: IpcChannel): BridgeMethod {
  const [domain = '', verb = ''] = channel.split(':');
  const group: unknown = (bridge as unknown as Record<string, unknown>)[domain];
  const method: unknown = typeof group === 'object' && group !== null ? (group as Record<string, unknown>)[verb] : undefined;
  if (typeof method !== 'function') {
    throw new ConsoleError({ code: 'internal_error', message: `The console bridge has no ${channel}.`, details: {} });
  }
  return method as BridgeMethod;
}

export function createApi(bridge: BulkheadBridge): ConsoleApi {
  return {
    async call<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
      const method = methodFor(bridge, channel);
      let envelope: unknown;
      try {
        envelope = await method(request);
      } catch {
        // The bridge never throws by contract; if a transport does anyway, it is still an error envelope.
        throw new ConsoleError({ code: 'internal_error', message: `The console could not complete ${channel}.`, details: {} });
      }
      const parsed = parseIpcEnvelope(channel, envelope);
      if ('error' in parsed) {
        throw new ConsoleError(parsed.error);
      }
      return parsed.result;
    },

    on<E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void): () => void {
      return bridge.on(event, (payload: unknown) => {
        const parsed = ipcEvents[event].safeParse(payload);
        if (parsed.success) {
          listener(parsed.data as IpcEventPayload<E>);
        }
      });
    },
  };
}
