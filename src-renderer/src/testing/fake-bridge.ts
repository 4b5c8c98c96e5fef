// A fake console for tests: the real bridge generator (contracts createBridge) over an in-memory
// transport, so every answer still goes through parseIpcEnvelope like in production.
import {
  createBridge,
  ipcError,
  type BulkheadBridge,
  type IpcChannel,
  type IpcEnvelope,
  type IpcEvent,
  type IpcEventPayload,
  type IpcParsedRequest,
  type IpcResponse,
} from '../../../contracts/ipc';

export type FakeHandler<C extends IpcChannel> = (request: IpcParsedRequest<C>) => IpcEnvelope<IpcResponse<C>> | Promise<IpcEnvelope<IpcResponse<C>>>;
export type FakeHandlers = { [C in IpcChannel]?: FakeHandler<C> };

export type FakeConsole = {
  bridge: BulkheadBridge;
  /** Every call made, in order. */
  calls: { channel: IpcChannel; request: unknown }[];
  callsTo: (channel: IpcChannel) => unknown[];
  /** Replaces (or adds) the handler of one channel. */
  handle: <C extends IpcChannel>(channel: C, handler: FakeHandler<C>) => void;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  listenerCount: () => number;
};

export function createFakeConsole(initial: FakeHandlers = {}): FakeConsole {
  const handlers = new Map<IpcChannel, (request: unknown) => unknown>();
  const calls: { channel: IpcChannel; request: unknown }[] = [];
  const listeners = new Map<IpcEvent, Set<(payload: unknown) => void>>();

  const handle = <C extends IpcChannel>(channel: C, handler: FakeHandler<C>) => {
    handlers.set(channel, handler as (request: unknown) => unknown);
  };
  for (const [channel, handler] of Object.entries(initial) as [IpcChannel, FakeHandler<IpcChannel>][]) {
    handle(channel, handler);
  }

  const bridge = createBridge(
    async (channel, request) => {
      calls.push({ channel, request });
      const handler = handlers.get(channel);
      return handler ? await handler(request) : ipcError('internal_error', `the fake console has no handler for ${channel}`);
    },
    (event, listener) => {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  );

  return {
    bridge,
    calls,
    callsTo: (channel) => calls.filter((call) => call.channel === channel).map((call) => call.request),
    handle,
    emit: (event, payload) => {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        listener(payload);
      }
    },
    listenerCount: () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0),
  };
}
