import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonHandshake, buildTestApp, listenOnLoopback, type TestApp } from '../../test/helpers/control-plane-harness';
import { HANDSHAKE_BUCKETS } from './tls-handshakes';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What `key`'s bucket gained between two scrapes. */
const gained = (before: Series, after: Series, key: string) => (after.buckets.get(key) ?? Number.NaN) - (before.buckets.get(key) ?? Number.NaN);

/** One outcome's histogram as /metrics shows it: cumulative count by bucket bound, count, sum. */
interface Series {
  buckets: Map<string, number>;
  count: number;
  sum: number;
}

function series(text: string, outcome: string): Series {
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^bulkhead_tls_handshake_duration_seconds_bucket\\{le="([^"]+)",outcome="${outcome}"\\} (\\d+)$`, 'gm'))) buckets.set(match[1] ?? '', Number(match[2]));
  const read = (suffix: string) => Number(new RegExp(`^bulkhead_tls_handshake_duration_seconds_${suffix}\\{outcome="${outcome}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { buckets, count: read('count'), sum: read('sum') };
}

/**
 * Real handshakes against the real HTTPS server: each is counted once under its outcome, with
 * the time it took. The server's TLS handshake timeout is shortened to 600 ms.
 */
describe('TLS handshake durations over HTTPS', () => {
  let t: TestApp;
  let port = 0;
  let ca = '';
  let operator = { authorization: '' };

  beforeAll(async () => {
    t = await buildTestApp({ serverTimeouts: { tlsHandshake: 600, checkEvery: 100 } });
    operator = await t.adminHeaders();
    ({ port, ca } = await listenOnLoopback(t));
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics', headers: operator })).body;
  const closed = (socket: Socket) =>
    new Promise<void>((resolve) => {
      socket.on('error', () => undefined);
      socket.once('close', () => resolve());
    });
  /** Both outcomes' series once `step` has run and the server has counted something (or 3 s passed). */
  const around = async (step: () => Promise<void>) => {
    const text = await scrape();
    const before = { completed: series(text, 'completed'), incomplete: series(text, 'incomplete') };
    await step();
    const deadline = performance.now() + 3_000;
    let after = before;
    do {
      await sleep(50);
      const now = await scrape();
      after = { completed: series(now, 'completed'), incomplete: series(now, 'incomplete') };
    } while (after.completed.count === before.completed.count && after.incomplete.count === before.incomplete.count && performance.now() < deadline);
    return { before, after };
  };

  it('exposes both outcomes with every bucket from 1 ms to 30 s, and no label but the outcome', async () => {
    const text = await scrape();
    for (const outcome of ['completed', 'incomplete']) {
      expect([...series(text, outcome).buckets.keys()]).toEqual([...HANDSHAKE_BUCKETS.map(String), '+Inf']);
    }
    const labels = [...text.matchAll(/^bulkhead_tls_handshake_duration_seconds\w*\{([^}]*)\}/gm)].flatMap((match) => (match[1] ?? '').split(',').map((pair) => pair.split('=')[0]));
    expect(new Set(labels)).toEqual(new Set(['le', 'outcome']));
  });

  it('counts a real handshake as completed, with its time', async () => {
    const { before, after } = await around(async () => {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const tls = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(tls));
        tls.once('error', reject);
      });
      const done = closed(socket);
      socket.end();
      await done;
    });
    expect(after.completed.count - before.completed.count).toBe(1);
    expect(after.incomplete.count).toBe(before.incomplete.count);
    // A loopback handshake on a quiet server: more than nothing, well under a second.
    const took = after.completed.sum - before.completed.sum;
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThan(1);
    expect(gained(before.completed, after.completed, '1')).toBe(1);
  });

  it('counts a connection closed before TLS as incomplete, and one the server timed out with its time', async () => {
    // Not TLS at all: the server's handshake fails.
    const garbage = await around(async () => {
      const socket = netConnect({ host: '127.0.0.1', port });
      const done = closed(socket);
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await done;
    });
    expect(garbage.after.incomplete.count - garbage.before.incomplete.count).toBe(1);
    expect(garbage.after.completed.count).toBe(garbage.before.completed.count);
    // Connected, then nothing: abandoned to the server's 600 ms handshake timeout.
    const idle = await around(async () => {
      await closed(netConnect({ host: '127.0.0.1', port }));
    });
    expect(idle.after.incomplete.count - idle.before.incomplete.count).toBe(1);
    expect(idle.after.completed.count).toBe(idle.before.completed.count);
    // It lasted the timeout: in no bucket up to 0.5 s, in the 1 s one.
    expect(gained(idle.before.incomplete, idle.after.incomplete, '0.5')).toBe(0);
    expect(gained(idle.before.incomplete, idle.after.incomplete, '1')).toBe(1);
    // A client that gives up mid-handshake: the start of a ClientHello, then a reset.
    const aborted = await around(() => abandonHandshake(port));
    expect(aborted.after.incomplete.count - aborted.before.incomplete.count).toBe(1);
  });
});
