import {
  isIpcChannel,
  ipcError,
  parseIpcRequest,
  type IpcChannel,
  type IpcEnvelope,
  type IpcParsedRequest,
  type IpcResponse,
} from '../../contracts/ipc';
import { ConsoleError } from '../console-error';

export type IpcHandlers = {
  [C in IpcChannel]: (request: IpcParsedRequest<C>) => Promise<IpcResponse<C>>;
};

export interface IpcCallContext {
  /** True only when the call comes from the console's own top-level frame (Electron) or an authenticated browser-mode page. */
  trustedSender: boolean;
}

export interface IpcRouter {
  handle(channel: unknown, payload: unknown, context: IpcCallContext): Promise<IpcEnvelope<unknown>>;
}

type Logger = (message: string, error: unknown) => void;

/**
 * The one IPC entry point, shared by Electron's ipcMain and browser mode: checks the sender and
 * the channel, validates the payload with the channel's schema, and answers an envelope. Handler
 * errors become `{error}`; unexpected ones are logged and answered without internals.
 */
export function createIpcRouter(handlers: IpcHandlers, log: Logger = () => undefined): IpcRouter {
  return {
    async handle(channel, payload, context) {
      if (!context.trustedSender) {
        return ipcError('forbidden', 'This request does not come from the console.');
      }
      if (!isIpcChannel(channel)) {
        return ipcError('not_found', 'Unknown console channel.');
      }
      const parsed = parseIpcRequest(channel, payload);
      if (!parsed.ok) {
        return { error: parsed.error };
      }
      const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
      try {
        return { result: await handler(parsed.value) };
      } catch (error) {
        if (error instanceof ConsoleError) {
          return ipcError(error.code, error.message, error.details);
        }
        log(`ipc ${channel} failed`, error);
        return ipcError('internal_error', 'The console hit an unexpected error; it has been logged.');
      }
    },
  };
}
