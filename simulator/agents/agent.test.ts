import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackTls } from '../idp/loopback-tls';
import { SeededRandom } from '../random';
import { SimAgent } from './agent';
import { BATCH_UNITS_HEADER, BatchFactory } from './batches';

type Answer = 'accept' | 'shed' | 'unavailable' | 'hang-up' | 'unauthorized';

interface Seen {
  at: number;
  batchId: string;
  units: string | undefined;
  body: string;
}

/**
 * A loopback HTTPS endpoint that answers ingest requests from a script: the faults a real control
 * plane cannot be made to produce on demand (a dropped connection, a 503) next to its 429.
 */
describe('SimAgent against scripted answers', () => {
  let server: Server;
  let pool: Pool;
  let script: Answer[] = [];
  let seen: Seen[] = [];

  beforeAll(async () => {
    const tls = await loopbackTls('agent test');
    server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen.push({ at: performance.now(), batchId: (JSON.parse(body) as { batch_id: string }).batch_id, units: req.headers[BATCH_UNITS_HEADER] as string | undefined, body });
        const answer = script.shift() ?? 'accept';
        if (answer === 'hang-up') {
          req.socket.destroy();
          return;
        }
        const [status, payload] =
          answer === 'accept' ? [202, { admitted_units: 3 }] : answer === 'shed' ? [429, { error: { code: 'rate_limited', message: 'over', details: { retry_after_ms: 80 } } }] : answer === 'unauthorized' ? [401, { error: { code: 'unauthorized', message: 'no' } }] : [503, { error: { code: 'not_ready', message: 'busy' } }];
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) }).end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { connect: { ca: tls.caPem } });
  });

  afterAll(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const agent = (honourRetryAfter: boolean, batchesPerSec = 20) =>
    new SimAgent('agent-1', pool, 'bha_test', new BatchFactory('agent-1', ['7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a'], { results: 2, flows: 1 }), { batchesPerSec, honourRetryAfter }, new SeededRandom(1));

  /** A well-behaved agent generates until `made` holds (default: one batch made), then drains what it holds. */
  async function oneBatchDelivered(made = (subject: SimAgent) => subject.counters.offered_batches >= 1, drainMs = 10_000): Promise<SimAgent> {
    const subject = agent(true);
    subject.setMode('generating');
    await until(() => made(subject));
    subject.setMode('idle');
    await subject.drain(performance.now() + drainMs);
    await subject.stop();
    return subject;
  }

  async function until(condition: () => boolean, ms = 5_000): Promise<void> {
    const deadline = performance.now() + ms;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('resends the same batch, byte for byte, after a 429 (waiting out Retry-After), a 503 and a dropped connection; drops nothing', async () => {
    seen = [];
    script = ['shed', 'unavailable', 'hang-up', 'accept'];
    const subject = await oneBatchDelivered();

    const first = seen.filter((request) => request.batchId === 'agent-1-1');
    expect(first).toHaveLength(4);
    expect(new Set(first.map((request) => request.body)).size).toBe(1);
    expect(first.every((request) => request.units === '3')).toBe(true);
    // Retry-After (80 ms, ±20% jitter) was waited out before the resend.
    expect((first[1]?.at ?? 0) - (first[0]?.at ?? 0)).toBeGreaterThanOrEqual(60);
    // The hang-up had no answer: resent at once, not a failure.
    expect(subject.snapshot()).toMatchObject({ shed_requests: 1, shed_units: 3, failed_requests: 1, resent_after_close: 1, retried_requests: 3, refused_batches: 0, pending_units: 0 });
    expect(subject.counters.acknowledged_units).toBe(subject.counters.offered_units);
    expect(subject.latency.totalCount).toBe(subject.counters.acknowledged_batches);
  });

  it('resends at once after a connection closed before any answer, at most three times; the fourth close in a row is a failure and backs off', async () => {
    seen = [];
    script = ['hang-up', 'hang-up', 'hang-up', 'hang-up', 'accept'];
    const subject = await oneBatchDelivered();
    const first = seen.filter((request) => request.batchId === 'agent-1-1');
    expect(first).toHaveLength(5);
    expect(subject.snapshot()).toMatchObject({ resent_after_close: 3, failed_requests: 1, retried_requests: 4, acknowledged_batches: 1, pending_units: 0 });
  });

  it('a hostile agent resends at its own pace, not after Retry-After', async () => {
    seen = [];
    script = ['shed', 'shed', 'shed'];
    const subject = agent(false, 100);
    subject.setMode('generating');
    await until(() => seen.length >= 4);
    subject.setMode('idle');
    await subject.stop();
    // Three refusals with an 80 ms Retry-After each, yet resent every ~10 ms.
    const gaps = seen.slice(1, 4).map((request, index) => request.at - (seen[index]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThan(60);
    expect(seen.slice(0, 4).map((request) => request.batchId)).toEqual(['agent-1-1', 'agent-1-1', 'agent-1-1', 'agent-1-1']);
  });

  it('sets aside a batch the control plane refuses for good, and still counts it as not delivered', async () => {
    seen = [];
    script = ['unauthorized'];
    const subject = await oneBatchDelivered((made) => made.counters.refused_batches >= 1, 5_000);
    expect(subject.lastRefusal).toBe('401 unauthorized');
    expect(subject.snapshot().pending_units).toBe(3);
    expect(subject.counters.offered_units - subject.counters.acknowledged_units).toBe(3);
  });
});
