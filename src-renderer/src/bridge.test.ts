import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BulkheadBridge } from '../../contracts/ipc';
import { ConsoleError, createApi } from './api';
import { createHttpBridge, resolveBridge, type EventSourceLike } from './bridge';
import { signedIn } from './testing/fixtures';

afterEach(() => {
  vi.unstubAllGlobals();
});

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('the generated bridge', () => {
  it('is frozen all the way down: page code cannot replace a function of the console', () => {
    const bridge = createHttpBridge({ fetch: () => Promise.resolve(jsonResponse({ result: signedIn })) });
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(bridge.session)).toBe(true);
    expect(() => {
      (bridge.session as unknown as Record<string, unknown>).logout = () => undefined;
    }).toThrow(TypeError);
  });
});

describe('browser transport: calls', () => {
  it('maps a failed fetch to control_plane_unreachable', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    const bridge = createHttpBridge();

    const envelope = await bridge.session.status();

    expect(envelope).toMatchObject({ error: { code: 'control_plane_unreachable', details: {} } });
  });

  it('surfaces the failed fetch to react-query as a ConsoleError', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    const api = createApi(createHttpBridge());

    const error: unknown = await api.call('app:info', {}).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConsoleError);
    expect((error as ConsoleError).code).toBe('control_plane_unreachable');
  });

  it('POSTs the request as JSON to /ipc/<channel> with same-origin credentials', async () => {
    const fetchMock = vi.fn((_input: RequestInfo | URL, _init?: RequestInit) => Promise.resolve(jsonResponse({ result: signedIn })));
    vi.stubGlobal('fetch', fetchMock);
    const bridge = createHttpBridge();

    const envelope = await bridge.session.login({ username: 'alice', password: 'correct horse', totp: '123456' });

    expect(envelope).toEqual({ result: signedIn });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/ipc/session%3Alogin');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(init?.headers).toEqual({ 'content-type': 'application/json' });
    expect(typeof init?.body).toBe('string');
    expect(JSON.parse(init?.body as string)).toEqual({ username: 'alice', password: 'correct horse', totp: '123456' });
  });

  it('passes an error envelope through whatever the HTTP status', async () => {
    const body = { error: { code: 'invalid_credentials', message: 'no', details: {} } };
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(jsonResponse(body, 401))));

    await expect(createHttpBridge().session.status()).resolves.toEqual(body);
  });

  it('maps an answer that is not JSON to internal_error', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response('<html>Bad gateway</html>', { status: 502 }))));

    const envelope = await createHttpBridge().app.info();

    expect(envelope).toMatchObject({ error: { code: 'internal_error', details: { status: 502 } } });
  });

  it('tells a page without the launch cookie how to get back in', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response('Open the console with the link', { status: 401 }))));

    const envelope = await createHttpBridge().app.info();

    expect(envelope).toMatchObject({ error: { code: 'internal_error', message: expect.stringContaining('npm run console:browser') as unknown } });
  });

  it('uses an injected fetch instead of the global one', async () => {
    const injected = vi.fn(() => Promise.resolve(jsonResponse({ result: signedIn })));
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new Error('the global fetch must not be used'))));

    await expect(createHttpBridge({ fetch: injected }).session.status()).resolves.toEqual({ result: signedIn });
    expect(injected).toHaveBeenCalledTimes(1);
  });
});

class FakeEventSource implements EventSourceLike {
  static created: FakeEventSource[] = [];
  readonly handlers = new Map<string, ((message: MessageEvent<unknown>) => void)[]>();
  closed = false;

  constructor(readonly url: string) {
    FakeEventSource.created.push(this);
  }

  addEventListener(type: string, handler: unknown): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler as (message: MessageEvent<unknown>) => void]);
  }

  close(): void {
    this.closed = true;
  }

  /** What the server's `event: <type>` / `data: <data>` SSE message delivers. */
  deliver(type: string, data: string): void {
    for (const handler of this.handlers.get(type) ?? []) {
      handler(new MessageEvent(type, { data }));
    }
  }
}

describe('browser transport: events', () => {
  afterEach(() => {
    FakeEventSource.created = [];
  });

  const bridgeWithSse = () => createHttpBridge({ fetch: vi.fn(), createEventSource: (url) => new FakeEventSource(url) });

  it('shares one EventSource on /events and hands listeners only the parsed payload', () => {
    const bridge = bridgeWithSse();
    const sessionListener = vi.fn();
    const statusListener = vi.fn();

    bridge.on('session:changed', sessionListener);
    bridge.on('controlplane:status', statusListener);

    expect(FakeEventSource.created).toHaveLength(1);
    const source = FakeEventSource.created[0];
    expect(source?.url).toBe('/events');
    source?.deliver('session:changed', JSON.stringify(signedIn));
    expect(sessionListener).toHaveBeenCalledExactlyOnceWith(signedIn);
    expect(statusListener).not.toHaveBeenCalled();
  });

  it('ignores messages whose data is not JSON', () => {
    const bridge = bridgeWithSse();
    const listener = vi.fn();
    bridge.on('session:changed', listener);

    FakeEventSource.created[0]?.deliver('session:changed', 'not json');

    expect(listener).not.toHaveBeenCalled();
  });

  it('stops delivering after unsubscribe and closes the stream after the last listener', () => {
    const bridge = bridgeWithSse();
    const first = vi.fn();
    const second = vi.fn();
    const offFirst = bridge.on('session:changed', first);
    const offSecond = bridge.on('session:changed', second);
    const source = FakeEventSource.created[0];

    offFirst();
    source?.deliver('session:changed', JSON.stringify(signedIn));
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    expect(source?.closed).toBe(false);

    offSecond();
    expect(source?.closed).toBe(true);

    bridge.on('session:changed', first);
    expect(FakeEventSource.created).toHaveLength(2);
  });

  it('rejects an event name outside the contract', () => {
    const bridge = bridgeWithSse();
    expect(() => bridge.on('tenants:everything' as 'session:changed', vi.fn())).toThrow(/unknown event/);
  });
});

describe('resolveBridge', () => {
  afterEach(() => {
    Reflect.deleteProperty(window, 'bulkhead');
  });

  it('uses the preload bridge when window.bulkhead exists', () => {
    const preload = { marker: true } as unknown as BulkheadBridge;
    Object.defineProperty(window, 'bulkhead', { value: preload, configurable: true });

    expect(resolveBridge()).toBe(preload);
  });

  it('builds the HTTP bridge in browser mode', async () => {
    const fetchMock = vi.fn(() => Promise.resolve(jsonResponse({ result: signedIn })));
    vi.stubGlobal('fetch', fetchMock);

    const bridge = resolveBridge();

    await expect(bridge.session.status()).resolves.toEqual({ result: signedIn });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
