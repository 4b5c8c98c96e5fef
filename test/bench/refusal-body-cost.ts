// What answering a refused ingest request costs the server with a large body left unread (#23), as
// the server's CPU per request (its /metrics, every thread), over one keep-alive connection at a time:
// - drained: a 500-result body (about 55 KB) on a keep-alive connection: Node reads and discards the
//   body after the answer so that the connection can carry the next request;
// - empty: the same headers with a body of 2 bytes: the refusal alone;
// - closed: the 500-result body on a new connection each time, as if the server closed the
//   connection instead of reading the body, and the agent connected again (a TLS handshake each).
// The refusals are a declared batch larger than the tenant's burst (413, before the body is read, as
// a 429 over the rate is): no Retry-After, so no connection is held and each request is refused.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { BATCH_UNITS_HEADER } from '../../contracts/telemetry';
import { batchBody } from './agent-batches';
import { round, serverWindow, startBenchServer } from './ingest-bench';

export async function refusalBodyCostFigures(requests = 1500): Promise<Record<string, unknown>> {
  const bench = await startBenchServer({ fairness: true, connections: 2 });
  try {
    const tenant = await bench.tenant('small-burst', { ingest_rate_per_sec: 100, ingest_burst: 100, query_budget: 1000 });
    const ca = readFileSync(join(bench.dataDir, 'tls', 'ca.crt'), 'utf8');
    const big = batchBody(randomUUID(), 500, tenant.testIds);
    const mode = async (body: string, fresh: boolean) => {
      const dispatcher = new Agent({ connect: { ca }, connections: 1, pipelining: 1 });
      try {
        const send = async () => {
          const response = await request(`${bench.server.url}/agent/v1/ingest`, {
            method: 'POST',
            dispatcher,
            reset: fresh,
            headers: { authorization: `Bearer ${tenant.agent}`, 'content-type': 'application/json', [BATCH_UNITS_HEADER]: '500' },
            body,
          });
          await response.body.text();
          if (response.statusCode !== 413) throw new Error(`expected a refusal, got ${response.statusCode}`);
        };
        for (let i = 0; i < 50; i++) await send();
        const window = await serverWindow(bench);
        const started = performance.now();
        for (let i = 0; i < requests; i++) await send();
        const seconds = (performance.now() - started) / 1000;
        const server = await window();
        return { server_cpu_us_per_request: round((server.cpu_percent * 10_000 * seconds) / requests, 1), requests_per_sec: Math.round(requests / seconds), refused_calls: server.refused_calls };
      } finally {
        await dispatcher.close();
      }
    };
    const rounds: Record<string, unknown>[] = [];
    for (let r = 0; r < 3; r++) {
      rounds.push({ drained: await mode(big, false), empty: await mode('{}', false), closed: await mode(big, true) });
    }
    return { body_bytes: Buffer.byteLength(big), requests_per_mode: requests, rounds };
  } finally {
    await bench.close();
  }
}
