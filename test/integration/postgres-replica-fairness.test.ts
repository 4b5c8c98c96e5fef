import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServingProcess } from '../helpers/cli-process';
import { startReplicaDeployment, type ReplicaDeployment } from '../helpers/replica-deployment';

const RATE = 2000;
const BURST = 400;
const BATCH = 50;
const MEASURE_MS = 5000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A tenant's ingest rate is one setting for the whole control plane: each live replica admits its
 * share (rate / live replicas, as Grafana Mimir splits a tenant's limit across distributors), so
 * the tenant's total stays at its setting however many replicas its agents spread over.
 */
describe('fairness across replicas on PostgreSQL (real processes)', () => {
  let deployment: ReplicaDeployment;

  beforeAll(async () => {
    deployment = await startReplicaDeployment(inject('postgresUrl'), 3);
  }, 120_000);

  afterAll(async () => {
    await deployment.close();
  });

  it("keeps a tenant's total admitted rate within ±10% of its setting with 3, 2 and 1 live replicas", async () => {
    const [first] = deployment.replicas;
    if (first === undefined) throw new Error('no replica');
    const api = deployment.api;
    const operator = await deployment.login(first);
    expect((await api(first, 'POST', '/provider/v1/tenants', operator, { slug: 'split', name: 'Split' })).status).toBe(201);
    expect((await api(first, 'PUT', '/provider/v1/tenants/split/fairness', operator, { ingest_rate_per_sec: RATE, ingest_burst: BURST, query_budget: 1000 })).status).toBe(200);
    const admin = String((await api(first, 'POST', '/provider/v1/tenants/split/admin-tokens', operator, { expires_in_seconds: 3600 })).json.token);
    const pool = String((await api(first, 'POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id);
    const bootstrap = String((await api(first, 'POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token);
    const agent = String((await api(first, 'POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: 'probe' })).json.agent_token);
    const testId = String((await api(first, 'POST', '/v1/tests', admin, { name: 'probe', target: 'https://split.example/health', kind: 'http', interval_s: 60 })).json.id);
    const body = () =>
      JSON.stringify({
        batch_id: randomUUID(),
        results: Array.from({ length: BATCH }, (_, i) => ({ test_id: testId, ts: new Date(Date.now() - 1000 + i).toISOString(), latency_ms: 10 + i, ok: true })),
      });

    const liveReplicas = async (replica: ServingProcess) => Number((await api(replica, 'GET', '/provider/v1/tenants/split/fairness', operator)).json.live_replicas);
    const admittedUnits = async (replicas: ServingProcess[]) => {
      let total = 0;
      for (const replica of replicas) total += Number((await api(replica, 'GET', '/provider/v1/tenants/split/fairness', operator)).json.admitted_units);
      return total;
    };

    const measured: { replicas: number; admitted_per_sec: number }[] = [];
    for (const count of [3, 2, 1]) {
      // A replica stopped gracefully leaves at once; the others see it at their next heartbeat.
      while (deployment.replicas.length > count) await deployment.replicas.pop()?.stop('SIGTERM');
      const live = deployment.replicas;
      const converged = Date.now() + 20_000;
      while ((await Promise.all(live.map(liveReplicas))).some((seen) => seen !== count)) {
        if (Date.now() > converged) throw new Error(`replicas did not agree on ${count} live within 20 s`);
        await sleep(250);
      }

      // Agents offer 1.5x the tenant's rate, spread evenly over the live replicas (two agents each).
      // Were the rate not split, the replicas together would admit all of it (1.5x).
      const perSenderEveryMs = (1000 * BATCH) / ((1.5 * RATE) / (live.length * 2));
      let sending = true;
      const senders = live.flatMap((replica) =>
        [0, 1].map(async () => {
          let next = performance.now();
          while (sending) {
            const response = await api(replica, 'POST', '/agent/v1/ingest', agent, body());
            expect([202, 429]).toContain(response.status);
            next += perSenderEveryMs;
            await sleep(Math.max(0, next - performance.now()));
          }
        }),
      );
      // The burst is spent in the first second; the rate is measured after it.
      await sleep(1000);
      const before = await admittedUnits(live);
      const started = performance.now();
      await sleep(MEASURE_MS);
      const after = await admittedUnits(live);
      const seconds = (performance.now() - started) / 1000;
      sending = false;
      await Promise.all(senders);
      measured.push({ replicas: count, admitted_per_sec: Math.round((after - before) / seconds) });
    }

    // The figures go in the log: they are the measurement issue #4 asks for.
    console.info(`tenant admitted rate by live replicas (setting ${RATE}/s): ${JSON.stringify(measured)}`);
    for (const { admitted_per_sec: rate } of measured) {
      expect(rate / RATE, JSON.stringify(measured)).toBeGreaterThanOrEqual(0.9);
      expect(rate / RATE, JSON.stringify(measured)).toBeLessThanOrEqual(1.1);
    }
  }, 120_000);
});
