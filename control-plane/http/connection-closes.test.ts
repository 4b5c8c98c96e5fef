import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonHandshake, buildTestApp, listenOnLoopback, definedTests, enrolledAgentHeaders, type TestApp } from '../../test/helpers/control-plane-harness';
import { CLOSE_REASONS, type CloseReason } from './connection-closes';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Each way a connection to the real HTTPS server ends is counted once, under its own reason, in
 * /metrics: the server's timeouts are shortened so each fires within a second.
 */
describe('connection close reasons over HTTPS', () => {
  let t: TestApp;
  let port = 0;
  let ca = '';
  let agent = { authorization: '' };
  let testId = '';
  let operator = { authorization: '' };

  beforeAll(async () => {
    t = await buildTestApp({ ingestConnections: { perAgent: 1 }, serverTimeouts: { keepAlive: 3_500, headers: 400, request: 800, tlsHandshake: 400, checkEvery: 100 } });
    const tenant = await t.tenantAdminHeaders('closes-a', 'pooled');
    [testId = ''] = await definedTests(t.app, tenant);
    agent = await enrolledAgentHeaders(t.app, tenant);
    operator = await t.adminHeaders();
    ({ port, ca } = await listenOnLoopback(t));
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  const counts = async (): Promise<Record<CloseReason, number>> => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: operator })).body;
    const read = (reason: string) => Number(new RegExp(`^bulkhead_http_connections_closed\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return Object.fromEntries(CLOSE_REASONS.map((reason) => [reason, read(reason)])) as Record<CloseReason, number>;
  };

  /** What `step` adds to the counts, once the server has counted a close (or 3 s have passed). */
  const counted = async (step: () => Promise<void>): Promise<Partial<Record<CloseReason, number>>> => {
    const before = await counts();
    await step();
    const deadline = performance.now() + 3_000;
    let added: Partial<Record<CloseReason, number>> = {};
    do {
      await sleep(50);
      const after = await counts();
      added = Object.fromEntries(CLOSE_REASONS.filter((reason) => after[reason] !== before[reason]).map((reason) => [reason, after[reason] - before[reason]]));
    } while (Object.keys(added).length === 0 && performance.now() < deadline);
    await sleep(200);
    const settled = await counts();
    return Object.fromEntries(CLOSE_REASONS.filter((reason) => settled[reason] !== before[reason]).map((reason) => [reason, settled[reason] - before[reason]]));
  };

  const secure = (): Promise<TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(socket));
      socket.once('error', reject);
    });
  const closed = (socket: Socket): Promise<string> =>
    new Promise((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.once('close', () => resolve(received));
    });
  const health = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n';
  /** Writes `bytes` on a new TLS connection; resolves with what came back once it closed. */
  const exchange = async (bytes: string): Promise<string> => {
    const socket = await secure();
    const done = closed(socket);
    socket.write(bytes);
    return done;
  };

  it('exposes every reason, and the memory by kind', async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: operator })).body;
    for (const reason of CLOSE_REASONS) expect(text).toMatch(new RegExp(`^bulkhead_http_connections_closed\\{reason="${reason}"\\} \\d+$`, 'm'));
    for (const kind of ['rss', 'heap_used', 'heap_total', 'external', 'array_buffers']) expect(text).toMatch(new RegExp(`^bulkhead_process_memory_bytes\\{kind="${kind}"\\} [1-9]\\d*$`, 'm'));
  });

  // 3.5 s: undici keeps a connection up to 2 s short of the server's Keep-Alive hint (3 s), so the next test's stays open.
  it('keep_alive_timeout: an idle keep-alive connection, closed by the server', async () => {
    expect(
      await counted(async () => {
        expect(await exchange(`${health}\r\n`)).toMatch(/^HTTP\/1\.1 200 .*keep-alive: timeout=3/is);
      }),
    ).toEqual({ keep_alive_timeout: 1 });
  });

  it('headers_timeout: headers that never end', async () => {
    expect(
      await counted(async () => {
        expect(await exchange(health)).toMatch(/^HTTP\/1\.1 408 /);
      }),
    ).toEqual({ headers_timeout: 1 });
  });

  it('request_timeout: a body that never ends', async () => {
    expect(
      await counted(async () => {
        expect(await exchange(`POST /agent/v1/ingest HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${agent.authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"batch_id":`)).toMatch(/^HTTP\/1\.1 408 /);
      }),
    ).toEqual({ request_timeout: 1 });
  });

  it('connection_bound: a connection past the token bound, refused and closed; client_closed: the one within it, closed by its client', async () => {
    // Kept for the whole Keep-Alive hint (3 s), not 2 s short of it: it stays open until closed below.
    const within = new Client(`https://127.0.0.1:${port}`, { connect: { ca, servername: 'localhost' }, keepAliveTimeoutThreshold: 0 });
    const past = new Client(`https://127.0.0.1:${port}`, { connect: { ca, servername: 'localhost' } });
    const send = async (client: Client, batchId: string) => {
      const response = await client.request({
        path: '/agent/v1/ingest',
        method: 'POST',
        headers: { authorization: agent.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ batch_id: batchId, results: [{ test_id: testId, ts: t.clock.now().toISOString(), latency_ms: 5, ok: true }] }),
      });
      await response.body.text();
      return response.statusCode;
    };
    try {
      expect(await send(within, 'bound-1')).toBe(202);
      expect(await counted(async () => expect(await send(past, 'bound-2')).toBe(429))).toEqual({ connection_bound: 1 });
      expect(await counted(() => within.close())).toEqual({ client_closed: 1 });
    } finally {
      await within.destroy();
      await past.destroy();
    }
  });

  it('bad_request: what the HTTP parser refuses', async () => {
    expect(
      await counted(async () => {
        expect(await exchange('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
      }),
    ).toEqual({ bad_request: 1 });
  });

  it('server_closed: a request asking for Connection: close', async () => {
    expect(
      await counted(async () => {
        expect(await exchange(`${health}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 /);
      }),
    ).toEqual({ server_closed: 1 });
  });

  it('client_reset: a connection reset by its client', async () => {
    expect(
      await counted(async () => {
        const tcp = netConnect({ host: '127.0.0.1', port });
        const socket = await new Promise<TLSSocket>((resolve, reject) => {
          const tls = tlsConnect({ socket: tcp, ca, servername: 'localhost' }, () => resolve(tls));
          tls.once('error', reject);
        });
        socket.on('error', () => undefined);
        await sleep(100);
        tcp.resetAndDestroy();
      }),
    ).toEqual({ client_reset: 1 });
  });

  it('tls_handshake_failed, tls_handshake_aborted and tls_handshake_timeout: no TLS, a handshake its client gave up, and one never started', async () => {
    expect(
      await counted(async () => {
        const socket = netConnect({ host: '127.0.0.1', port });
        const done = closed(socket);
        socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
        await done;
      }),
    ).toEqual({ tls_handshake_failed: 1 });
    expect(
      await counted(() => abandonHandshake(port)),
    ).toEqual({ tls_handshake_aborted: 1 });
    expect(
      await counted(async () => {
        const socket = netConnect({ host: '127.0.0.1', port });
        await closed(socket);
      }),
    ).toEqual({ tls_handshake_timeout: 1 });
  });
});
