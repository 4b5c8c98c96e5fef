// The simulator at sizes too large for `npm test`: thousands of agents from one process, and the
// noisy-neighbor scenario at its CLI defaults (well-behaved and hostile), each on an embedded
// control plane started through the repository CLI, as `npm run simulate` does.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AgentGroup } from '../../simulator/agents/agent-group';
import { summarize, decodeHistogram } from '../../simulator/agents/latency';
import { connect } from '../../simulator/connection/connect';
import { buildFleet } from '../../simulator/fleet/fleet';
import { planFleet } from '../../simulator/fleet/plan';
import { RunLog } from '../../simulator/run-log';
import { noisyNeighborDefaults, runNoisyNeighbor, type NoisyTenantRow } from '../../simulator/scenarios/noisy-neighbor';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `agents` agents over two tenants in this one process, each a batch of 5 results + 1 flow every `periodMs`. */
export async function simulatorFleetFigures(agents = 2000, periodMs = 10_000, seconds = 20): Promise<Record<string, unknown>> {
  const connection = await connect({});
  const log = new RunLog();
  try {
    const perTenant = Math.ceil(agents / 2);
    const enrollStarted = performance.now();
    const fleet = await buildFleet(connection, planFleet(1, { tenants: 2, agentsPerTenant: perTenant, peoplePerTenant: 1, testsPerTenant: 3 }), log, {
      tenantOptions: () => ({ fairness: { ingest_rate_per_sec: 20_000, ingest_burst: 40_000 } }),
    });
    const setupSeconds = (performance.now() - enrollStarted) / 1000;
    try {
      const specs = fleet.tenants.flatMap((tenant) => tenant.agents.map((agent) => ({ tenant: tenant.plan.slug, name: agent.name, token: agent.token, testIds: tenant.testIds, batch: { results: 5, flows: 1 }, behaviour: { batchesPerSec: 1000 / periodMs, honourRetryAfter: true } })));
      const group = new AgentGroup(connection.client.target, specs, 1);
      // One period not measured: every agent's first send opens its connection (TLS handshakes).
      group.setWindow('warm-up');
      group.setMode('generating');
      await sleep(periodMs);
      const lag = monitorEventLoopDelay({ resolution: 10 });
      const cpu = process.cpuUsage();
      const requestsBefore = group.totals();
      const started = performance.now();
      group.setWindow('measured');
      lag.enable();
      await sleep(seconds * 1000);
      group.setMode('idle');
      lag.disable();
      const used = process.cpuUsage(cpu);
      const elapsed = performance.now() - started;
      await group.drain(60_000);
      await group.stop();
      const report = group.report();
      const offered = report.reduce((sum, tenant) => sum + tenant.counters.offered_units, 0);
      const acknowledged = report.reduce((sum, tenant) => sum + tenant.counters.acknowledged_units, 0);
      const requests = report.reduce((sum, tenant) => sum + tenant.counters.sent_requests - (requestsBefore.get(tenant.tenant)?.sent_requests ?? 0), 0);
      const latency = summarize(decodeHistogram(report[0]?.windows.measured?.latency));
      return {
        agents: specs.length,
        setup_seconds_including_enrollment: Math.round(setupSeconds * 10) / 10,
        seconds,
        requests_per_sec_measured: Math.round(requests / (elapsed / 1000)),
        offered_units: offered,
        acknowledged_units: acknowledged,
        lost_units: offered - acknowledged,
        latency_first_tenant: latency,
        simulator_cpu_percent: Math.round(((used.user + used.system) / 1000 / elapsed) * 100),
        simulator_event_loop_delay_ms: { p50: Math.round(lag.percentile(50) / 1e4) / 100, p99: Math.round(lag.percentile(99) / 1e4) / 100, max: Math.round(lag.max / 1e4) / 100 },
      };
    } finally {
      await fleet.close();
    }
  } finally {
    await connection.close();
  }
}

/** noisy-neighbor at the CLI's defaults, with the noisy agents well-behaved and then hostile. */
export async function simulatorNoisyNeighborFigures(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = {};
  for (const [name, honourRetryAfter] of [['honours_retry_after', true], ['ignores_retry_after', false]] as const) {
    const connection = await connect({});
    try {
      const result = await runNoisyNeighbor(connection, { ...noisyNeighborDefaults, seed: 7, honourRetryAfter }, new RunLog());
      const rows = result.details.tenants as NoisyTenantRow[];
      figures[name] = {
        ok: result.ok,
        failed: result.invariants.filter((entry) => !entry.ok).map((entry) => entry.name),
        tenants: rows.map((row) => ({ tenant: row.tenant, model: row.isolation_model, role: row.role, offered: row.offered_units, admitted: row.admitted_units, shed: row.shed_units, lost: row.lost_units, admitted_per_sec_beside: row.admitted_per_sec_beside, p50_ms: row.latency.p50_ms, p99_solo_ms: row.solo.p99_ms, p99_beside_ms: row.together.p99_ms, p99_ratio: row.p99_ratio })),
        notes: result.notes,
      };
    } finally {
      await connection.close();
    }
  }
  return figures;
}
