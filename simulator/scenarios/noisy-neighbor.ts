import { AgentGroup, type AgentSpec, type TenantAgentsReport } from '../agents/agent-group';
import { ChildAgentGroup } from '../agents/child-agent-group';
import { decodeHistogram, mergeHistograms, summarize, type LatencySummary } from '../agents/latency';
import type { AgentCounters } from '../agents/agent';
import type { Connection } from '../connection/connect';
import { UsageError } from '../errors';
import { buildFleet } from '../fleet/fleet';
import { planFleet } from '../fleet/plan';
import { storedResults, type StoredResults } from '../fleet/telemetry-check';
import type { FleetTenant } from '../fleet/tenant-setup';
import { SeededRandom } from '../random';
import type { RunLog, TenantLoadLine } from '../run-log';
import { invariant, scenarioResult, type Invariant, type ScenarioResult } from './result';

export interface NoisyNeighborOptions {
  seed: number;
  /** Tenants in all: one noisy, the rest quiet (at least 2). */
  tenants: number;
  agentsPerTenant: number;
  /** Load time in all, split into `rounds` pairs of windows (solo, together). */
  durationMs: number;
  rounds: number;
  /** The noisy tenant offers this many times its rate. */
  noisyFactor: number;
  /** false: the noisy agents ignore Retry-After and resend at their own pace (a hostile neighbour). */
  honourRetryAfter: boolean;
  /** Every tenant's ingest rate (units/s); the burst is two seconds of it. */
  ratePerSec: number;
  /** The quiet tenants offer this share of their rate. */
  quietShare: number;
  keepTenants?: boolean;
}

export const noisyNeighborDefaults = { tenants: 4, agentsPerTenant: 4, durationMs: 24_000, rounds: 3, noisyFactor: 10, honourRetryAfter: true, ratePerSec: 1000, quietShare: 0.1 };

/** One tenant's line of the report. */
export interface NoisyTenantRow {
  tenant: string;
  isolation_model: string;
  role: 'quiet' | 'noisy';
  offered_units: number;
  admitted_units: number;
  shed_units: number;
  retried_requests: number;
  lost_units: number;
  latency: LatencySummary;
  solo: LatencySummary;
  together: LatencySummary;
  /** Quiet tenants: p99 beside the noisy tenant over p99 alone. */
  p99_ratio: number | null;
  /** Units acknowledged per second during the together windows. */
  admitted_per_sec_beside: number;
  stored: StoredResults;
  acknowledged_results: number;
  agents: TenantAgentsReport['agents'];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const SETTLE_MS = 200;
const WARM_UP_MS = 1_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** A quiet agent's batch: 5 results and 1 flow event. */
const QUIET_BATCH_UNITS = 6;

/** Quiet agents: small batches, often (many latency samples); noisy agents: large batches. */
function batchShape(units: number): { results: number; flows: number } {
  const flows = Math.floor(units / 6);
  return { results: Math.max(1, units - flows), flows };
}

function agentSpecs(tenant: FleetTenant, unitsPerSec: number, batchUnits: number, honourRetryAfter: boolean): AgentSpec[] {
  const batch = batchShape(batchUnits);
  const batchesPerSec = unitsPerSec / (batch.results + batch.flows) / tenant.agents.length;
  return tenant.agents.map((agent) => ({ tenant: tenant.plan.slug, name: agent.name, token: agent.token, testIds: tenant.testIds, batch, behaviour: { batchesPerSec, honourRetryAfter } }));
}

/** Refuses options that cannot make a run (a usage error, before anything starts). */
export function checkNoisyNeighborOptions(options: Pick<NoisyNeighborOptions, 'tenants' | 'durationMs' | 'rounds'>): void {
  if (options.tenants < 2) throw new UsageError('--tenants: noisy-neighbor needs at least 2 tenants (one noisy, the rest quiet)');
  if (options.durationMs / (2 * options.rounds) < 500) throw new UsageError('--duration: each window needs at least 500ms; give a longer --duration or fewer --rounds');
}

const ratio = (together: number | null, solo: number | null) => (together === null || solo === null || solo === 0 ? null : Math.round((together / solo) * 100) / 100);

/**
 * Quiet tenants at a steady share of their rate beside one tenant at N× its rate. The noisy
 * agents run in a process of their own; solo and together windows alternate (solo first in even
 * rounds, together first in odd ones, so the machine's drift does not favour either). Afterwards
 * every agent sends what it still holds, and each tenant's own person counts what was stored.
 */
export async function runNoisyNeighbor(connection: Connection, options: NoisyNeighborOptions, log: RunLog): Promise<ScenarioResult> {
  checkNoisyNeighborOptions(options);
  const startedAt = new Date();
  const plan = planFleet(options.seed, { tenants: options.tenants, agentsPerTenant: options.agentsPerTenant, peoplePerTenant: 3, testsPerTenant: 3 });
  const noisyIndex = new SeededRandom(options.seed).stream('noisy').int(0, plan.tenants.length - 1);
  const rate = options.ratePerSec;
  const fleet = await buildFleet(connection, plan, log, {
    keepTenants: options.keepTenants,
    tenantOptions: () => ({ fairness: { ingest_rate_per_sec: rate, ingest_burst: 2 * rate } }),
  });
  const noisy = fleet.tenants[noisyIndex];
  if (noisy === undefined) throw new Error('no noisy tenant');
  const quiet = fleet.tenants.filter((tenant) => tenant !== noisy);
  log.event(`noisy tenant ${noisy.plan.slug} at ${options.noisyFactor}x ${rate} units/s${options.honourRetryAfter ? '' : ', ignoring Retry-After'}`);

  const quietUnits = Math.max(1, options.quietShare * rate);
  const quietGroup = new AgentGroup(connection.client.target, quiet.flatMap((tenant) => agentSpecs(tenant, quietUnits, QUIET_BATCH_UNITS, true)), options.seed);
  const noisyBatch = Math.max(1, Math.min(2 * rate, Math.round((options.noisyFactor * rate) / (noisy.agents.length * 10))));
  let noisyGroup: ChildAgentGroup | null = null;
  const progress = setInterval(() => {
    const lines: TenantLoadLine[] = [];
    const add = (totals: Map<string, AgentCounters>, role: string) => {
      for (const [tenant, counters] of totals) lines.push({ tenant, role, offered_units: counters.offered_units, acknowledged_units: counters.acknowledged_units, shed_units: counters.shed_units, pending_units: counters.pending_units });
    };
    add(quietGroup.totals(), 'quiet');
    if (noisyGroup !== null) add(noisyGroup.totals(), 'noisy');
    log.progress({ kind: 'load', tenants: lines });
  }, 1000);
  const windowMs = options.durationMs / (2 * options.rounds);
  let noisyCpu = 0;
  let drainMs = 0;
  let quietReport: TenantAgentsReport[] = [];
  let noisyReport: TenantAgentsReport[] = [];
  try {
    noisyGroup = await ChildAgentGroup.start(connection.client.target, agentSpecs(noisy, options.noisyFactor * rate, noisyBatch, options.honourRetryAfter), options.seed);
    log.step(`warming up (${WARM_UP_MS} ms, not measured)`);
    quietGroup.setWindow('warm-up');
    quietGroup.setMode('generating');
    await sleep(WARM_UP_MS);

    let index = 0;
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['solo', 'together'] as const) : (['together', 'solo'] as const);
      for (const label of order) {
        index += 1;
        log.event(`window ${index} ${label}`);
        log.progress({ kind: 'window', scenario: 'noisy-neighbor', label, index, of: 2 * options.rounds, ms: windowMs });
        quietGroup.setWindow(label);
        if (label === 'together') noisyCpu = Math.max(noisyCpu, await noisyGroup.flood(windowMs, label));
        else await sleep(windowMs);
        quietGroup.setWindow('settle');
        await sleep(SETTLE_MS);
      }
    }
    quietGroup.setMode('idle');

    log.step('draining: every agent sends what it still holds');
    const drainStarted = performance.now();
    await quietGroup.drain(DRAIN_TIMEOUT_MS);
    // The backlog of a tenant that offered N× its rate takes N× the load time to drain at its
    // rate; the operator lifts its limit for the drain (not measured), then puts it back.
    const lifted = Math.min(10_000_000, rate * Math.max(50, Math.ceil(options.noisyFactor * 5)));
    await connection.client.expect('lifting the noisy tenant\'s rate for the drain', 200, 'PUT', `/provider/v1/tenants/${noisy.plan.slug}/fairness`, { token: fleet.operatorToken, body: { ingest_rate_per_sec: lifted, ingest_burst: lifted * 2, query_budget: 600 } });
    await noisyGroup.drain(DRAIN_TIMEOUT_MS);
    await connection.client.expect('restoring the noisy tenant\'s rate', 200, 'PUT', `/provider/v1/tenants/${noisy.plan.slug}/fairness`, { token: fleet.operatorToken, body: { ingest_rate_per_sec: rate, ingest_burst: 2 * rate, query_budget: 600 } });
    drainMs = Math.round(performance.now() - drainStarted);
    log.event('drained');
    noisyReport = await noisyGroup.stop();
    noisyGroup = null;
  } finally {
    clearInterval(progress);
    await quietGroup.stop();
    quietReport = quietGroup.report();
    await noisyGroup?.kill();
  }

  try {
    const window = { from: new Date(startedAt.getTime() - 60_000), to: new Date(Date.now() + 60_000) };
    const server = await connection.client.expect('reading the fairness counters', 200, 'GET', '/provider/v1/fairness?limit=1000', { token: fleet.operatorToken });
    const rows: NoisyTenantRow[] = [];
    for (const tenant of fleet.tenants) {
      const report = [...quietReport, ...noisyReport].find((entry) => entry.tenant === tenant.plan.slug);
      if (report === undefined) continue;
      const c = report.counters;
      const soloHistogram = decodeHistogram(report.windows.solo?.latency);
      const togetherHistogram = decodeHistogram(report.windows.together?.latency);
      const solo = summarize(soloHistogram);
      const together = summarize(togetherHistogram);
      const resultsPerBatch = batchShape(tenant === noisy ? noisyBatch : QUIET_BATCH_UNITS).results;
      rows.push({
        tenant: tenant.plan.slug,
        isolation_model: tenant.plan.isolationModel,
        role: tenant === noisy ? 'noisy' : 'quiet',
        offered_units: c.offered_units,
        admitted_units: c.acknowledged_units,
        shed_units: c.shed_units,
        retried_requests: c.retried_requests,
        lost_units: c.offered_units - c.acknowledged_units,
        // The measured windows only: not the warm-up (new connections), the settling or the drain.
        latency: summarize(mergeHistograms([soloHistogram, togetherHistogram])),
        solo,
        together,
        p99_ratio: tenant === noisy ? null : ratio(together.p99_ms, solo.p99_ms),
        admitted_per_sec_beside: Math.round((report.windows.together?.units ?? 0) / ((options.rounds * windowMs) / 1000)),
        stored: await storedResults(connection.client, tenant, window),
        acknowledged_results: c.acknowledged_batches * resultsPerBatch,
        agents: report.agents,
      });
    }
    const invariants: Invariant[] = [];
    for (const row of rows) {
      invariants.push(invariant(`${row.tenant}: lost = 0`, row.lost_units === 0, `offered ${row.offered_units}, acknowledged ${row.admitted_units}`));
      if (row.stored.counted) invariants.push(invariant(`${row.tenant}: stored = acknowledged`, row.stored.results === row.acknowledged_results, `${row.stored.results} results read back by the tenant's own person, ${row.acknowledged_results} acknowledged`));
    }
    for (const row of rows.filter((entry) => entry.role === 'quiet')) {
      invariants.push(invariant(`${row.tenant}: never shed beside the noisy tenant`, row.shed_units === 0, `${row.shed_units} units shed`));
    }
    const noisyRow = rows.find((row) => row.role === 'noisy');
    // Each together window may admit one burst (refilled while the noisy tenant was silent) on top of the rate.
    const admissible = Math.round(1.1 * (rate + (2 * rate * 1000) / windowMs));
    if (noisyRow !== undefined && options.noisyFactor > 2) {
      invariants.push(invariant(`${noisyRow.tenant}: shed over its rate`, noisyRow.shed_units > 0, `${noisyRow.shed_units} units shed`));
      invariants.push(invariant(`${noisyRow.tenant}: held to its rate while flooding`, noisyRow.admitted_per_sec_beside <= admissible, `${noisyRow.admitted_per_sec_beside} units/s admitted while offering ${Math.round(options.noisyFactor * rate)}; at most ${admissible} (rate + a burst per window, +10%)`));
    }
    const quietRatios = rows.map((row) => row.p99_ratio).filter((value): value is number => value !== null);
    const run = { scenario: 'noisy-neighbor', seed: options.seed, target: { url: connection.client.target.url, kind: connection.kind }, handover: fleet.handover, startedAt, events: log.events };
    return scenarioResult(run, {
      table: {
        title: `noisy-neighbor: ${noisy.plan.slug} at ${options.noisyFactor}x its ${rate} units/s${options.honourRetryAfter ? '' : ' (ignoring Retry-After)'}, ${options.rounds} rounds of ${Math.round(windowMs)} ms windows`,
        columns: ['tenant', 'model', 'role', 'offered', 'admitted', 'shed', 'retried', 'p50 ms', 'p99 ms', 'p99 solo', 'p99 beside', 'ratio', 'lost'],
        rows: rows.map((row) => [row.tenant, row.isolation_model, row.role, row.offered_units, row.admitted_units, row.shed_units, row.retried_requests, row.latency.p50_ms, row.latency.p99_ms, row.solo.p99_ms, row.together.p99_ms, row.p99_ratio, row.lost_units]),
      },
      notes: [
        `The noisy agents ran in a process of their own (${noisyCpu}% CPU at most while flooding); ${rows.reduce((sum, row) => sum + row.latency.samples, 0)} acknowledged requests timed.`,
        quietRatios.length > 0 ? `Quiet tenants' p99 beside the noisy tenant over alone: ${quietRatios.map((value) => `${value}x`).join(', ')}.` : 'No quiet p99 ratio (too few samples).',
        `Drain after the windows: ${drainMs} ms (the noisy tenant's limit lifted for it, then restored).`,
      ],
      invariants,
      details: { noisy_tenant: noisy.plan.slug, options, window_ms: windowMs, noisy_batch_units: noisyBatch, noisy_cpu_percent: noisyCpu, drain_ms: drainMs, tenants: rows, server_fairness: server.items },
    });
  } finally {
    await fleet.close();
  }
}
