// Picks the console transport. In Electron the preload exposes `window.bulkhead`; in browser mode
// the same bridge is generated from the contracts channel map over HTTP (calls) and SSE (events).
import {
  createBridge,
  ipcError,
  ipcEventNames,
  type BulkheadBridge,
  type IpcEvent,
  type IpcInvoke,
  type IpcSubscribe,
} from '../../contracts/ipc';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    readonly bulkhead?: BulkheadBridge;
  }
}

/** The part of EventSource the browser transport uses (injectable for tests). */
export type EventSourceLike = Pick<EventSource, 'addEventListener' | 'close'>;

export type HttpBridgeOptions = {
  /** Defaults to the global `fetch`, looked up at call time. */
  fetch?: typeof fetch;
  /** Defaults to `new EventSource(url)`. */
  createEventSource?: (url: string) => EventSourceLike;
};

/** `window.bulkhead` when the Electron preload provided it, otherwise the browser-mode bridge. */
export function resolveBridge(): BulkheadBridge {
  return window.bulkhead ?? createHttpBridge();
}

/** Browser mode: POST /ipc/<channel> answers the JSON envelope; GET /events streams the events. */
export function createHttpBridge(options: HttpBridgeOptions = {}): BulkheadBridge {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const createEventSource = options.createEventSource ?? ((url: string) => new EventSource(url));

  const invoke: IpcInvoke = async (channel, request) => {
    let response: Response;
    try {
      response = await doFetch(`/ipc/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        credentials: 'same-origin',
      });
    } catch {
      return ipcError('control_plane_unreachable', 'The Bulkhead console could not be reached. Check that it is still running, then try again.');
    }
    try {
      return (await response.json()) as unknown;
    } catch {
      const message =
        response.status === 401
          ? 'This page is no longer admitted by the console (it may have restarted). Open the console again with the link `npm run console:browser` prints.'
          : `The console answered ${channel} with something other than JSON (HTTP ${response.status}).`;
      return ipcError('internal_error', message, { status: response.status });
    }
  };

  return createBridge(invoke, createSseSubscribe(createEventSource));
}

/** One EventSource shared by every listener; opened on the first subscription, closed after the last. */
function createSseSubscribe(createEventSource: (url: string) => EventSourceLike): IpcSubscribe {
  const listeners = new Map<IpcEvent, Set<(payload: unknown) => void>>();
  let source: EventSourceLike | null = null;

  const open = (): EventSourceLike => {
    const created = createEventSource('/events');
    for (const name of ipcEventNames) {
      created.addEventListener(name, (message: MessageEvent<unknown>) => {
        if (typeof message.data !== 'string') {
          return;
        }
        let payload: unknown;
        try {
          payload = JSON.parse(message.data);
        } catch {
          return; // Not JSON: not an event of ours.
        }
        for (const listener of [...(listeners.get(name) ?? [])]) {
          listener(payload);
        }
      });
    }
    return created;
  };

  return (event, listener) => {
    source ??= open();
    let forEvent = listeners.get(event);
    if (!forEvent) {
      forEvent = new Set();
      listeners.set(event, forEvent);
    }
    // Wrap so the same function subscribed twice gets two independent unsubscribes.
    const entry = (payload: unknown): void => {
      listener(payload);
    };
    forEvent.add(entry);
    let subscribed = true;
    return () => {
      if (!subscribed) {
        return;
      }
      subscribed = false;
      forEvent.delete(entry);
      const remaining = [...listeners.values()].reduce((sum, set) => sum + set.size, 0);
      if (remaining === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
}
