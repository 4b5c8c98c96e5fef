// agents_1000 (#23): a fleet of well-behaved agents, each with its own token and connection, against
// a real `serve` child process on loopback for a bounded time, in rounds against the same server.
// The goal: no error but 429, the server's RSS bounded, and the latency percentiles reported. The
// agents run in processes of their own (fleet-agents.ts, two by default), which stop sending at
// their deadline and exit by themselves. The server's RSS and heap are sampled every second through each round and after
// the agents leave, then after a GC forced through its loopback inspector; RSS after each round's
// GC is what says whether it is bounded (docs/benchmarks.md says how to read the figures).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLEET_CHILD_ENV, type FleetConfig, type FleetReport, type FleetShard, mergeShards } from './fleet-agents';
import { acceptQueue, collectGarbage, FLAT_MB_PER_SEC, freeLoopbackPort, histogramDelta, LISTEN_COUNTERS, listenCounters, type MemorySample, type MemorySummary, metricsMemoryMb, readHistogram, roundsVerdict, rssMb, secondsFigures, slowConnectsSide, summarize } from '../helpers/server-samples';
import { LISTEN_BACKLOG } from '../../control-plane/server';
import { round, serverWindow, startBenchServer } from './ingest-bench';
import { exitWithParentArgs } from '../helpers/cli-process';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const readOrEmpty = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Runs part of the fleet in its own process; killed if it has not reported within its time and a minute. */
function runFleetProcess(config: FleetConfig): Promise<FleetShard> {
  const child = fork(fileURLToPath(new URL('./fleet-agents.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', ...exitWithParentArgs], env: { ...process.env, [FLEET_CHILD_ENV]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the agent fleet did not report in time'));
    }, config.seconds * 1000 + 60_000);
    child.once('message', (shard: FleetShard) => {
      clearTimeout(timer);
      resolve(shard);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent fleet exited (${String(code)}) without a report`));
    });
    child.send(config);
  });
}

/**
 * The fleet over `processes` processes, agent i in process i mod `processes` (each ramps its own in
 * over the whole ramp, so together they start as evenly as one would): each agent still has its own
 * token and connection, and sends the same. Several processes only spare the agents one event loop's
 * stalls, which on a 2-core machine delayed their side of the handshakes by seconds (#23).
 */
async function runFleet(config: FleetConfig, processes: number): Promise<FleetReport> {
  const parts = Array.from({ length: Math.min(processes, config.agents.length) }, (_, part) => config.agents.filter((_agent, index) => index % processes === part));
  return mergeShards(await Promise.all(parts.map((agents) => runFleetProcess({ ...config, agents }))), config.batchResults);
}

/** The server's connection closes by reason, since it started (GET /metrics). */
function closeReasons(metrics: string): Record<string, number> {
  return Object.fromEntries([...metrics.matchAll(/^bulkhead_http_connections_closed\{reason="([a-z_]+)"\} (\d+)$/gm)].map((match) => [match[1] ?? '', Number(match[2])]));
}

const loadAverage = () => loadavg().map((value) => round(value, 2));

/** prom-client's event-loop delay (since the previous scrape) in seconds. */
const lagSeconds = (name: string, text: string) => Number(new RegExp(`^bulkhead_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

/** How long memory is sampled after the agents of a round have left, and then after a forced GC. */
const AFTER_MS = 5_000;
const AFTER_GC_MS = 3_000;

/**
 * Rounds by default: three is the fewest in which the verdict can tell a leak from malloc's arenas
 * converging (the first round is warm-up; the third's rise is set against the second's), and three
 * 60 s rounds keep the bench at about 4 minutes.
 */
export const DEFAULT_ROUNDS = 3;

/** The fleet's processes by default: one per core here, so neither event loop carries all 1,000 agents' handshakes. */
export const DEFAULT_PROCESSES = 2;

export interface FleetOptions {
  agents?: number;
  tenants?: number;
  seconds?: number;
  periodMs?: number;
  batchResults?: number;
  rampMs?: number;
  rounds?: number;
  processes?: number;
}

/** BULKHEAD_FLEET_ROUNDS, _AGENTS, _SECONDS and _PROCESSES (positive integers), for a shorter, longer or differently split run. */
export function fleetOptionsFromEnv(env: NodeJS.ProcessEnv): FleetOptions {
  const read = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
    return value;
  };
  const options: FleetOptions = {};
  const rounds = read('BULKHEAD_FLEET_ROUNDS');
  const agents = read('BULKHEAD_FLEET_AGENTS');
  const seconds = read('BULKHEAD_FLEET_SECONDS');
  if (rounds !== undefined) options.rounds = rounds;
  if (agents !== undefined) options.agents = agents;
  if (seconds !== undefined) options.seconds = seconds;
  const processes = read('BULKHEAD_FLEET_PROCESSES');
  if (processes !== undefined) options.processes = processes;
  return options;
}

const HANDSHAKES = 'bulkhead_tls_handshake_duration_seconds';

/** The server's TLS handshakes between two scrapes, by outcome: count, p50/p99 from its buckets, over 1 s and 5 s. */
function serverHandshakes(before: string, after: string) {
  const figures = (outcome: string) => {
    const end = readHistogram(after, HANDSHAKES, 'outcome', outcome);
    return end === null ? null : secondsFigures(histogramDelta(readHistogram(before, HANDSHAKES, 'outcome', outcome), end));
  };
  return { completed: figures('completed'), incomplete: figures('incomplete') };
}

type Sample = MemorySample & { round: number };

/** A round's memory summary, its slope test named for what it is: not the bench's verdict. */
const slopeOnly = ({ bounded, ...summary }: MemorySummary) => ({ ...summary, flat_by_slope: bounded });

export async function agentsFleetFigures(options: FleetOptions = {}): Promise<Record<string, unknown>> {
  const agents = options.agents ?? 1000;
  const tenants = Math.min(options.tenants ?? 10, agents);
  const seconds = options.seconds ?? 60;
  const periodMs = options.periodMs ?? 2000;
  const batchResults = options.batchResults ?? 50;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const processes = options.processes ?? DEFAULT_PROCESSES;
  // 1,000 TLS handshakes over 5 s (200/s) rather than within the first period.
  const rampMs = options.rampMs ?? 5000;
  const perTenant = Math.ceil(agents / tenants);
  const offeredPerTenant = (perTenant * batchResults * 1000) / periodMs;
  // Half the tenants have room for their agents; the other half are offered 1.25x their rate, so
  // their agents meet 429 with Retry-After and wait it out.
  const limited = Math.round(offeredPerTenant / 1.25);
  // The server's inspector, on loopback, is only how the bench forces a GC once the agents have left.
  const inspectorPort = await freeLoopbackPort();
  const bench = await startBenchServer({ fairness: true, connections: 8, nodeOptions: `--inspect=127.0.0.1:${inspectorPort}` });
  try {
    const pid = bench.server.child.pid;
    const fleet: FleetConfig['agents'] = [];
    const rates: Record<string, number> = {};
    for (let t = 0; t < tenants; t++) {
      const rate = t % 2 === 0 ? 5000 : limited;
      const slug = `fleet-${t}`;
      rates[slug] = rate;
      const tenant = await bench.tenant(slug, { ingest_rate_per_sec: rate, query_budget: 1000 }, 'pooled', Math.min(perTenant, agents - fleet.length));
      for (const token of tenant.agents) fleet.push({ token, testIds: tenant.testIds });
    }
    await sleep(2000);
    const port = Number(new URL(bench.server.url).port);
    const ca = readFileSync(join(bench.dataDir, 'tls', 'ca.crt'), 'utf8');
    // Once a second: RSS from /proc, the heap from /metrics. Each scrape resets prom-client's
    // event-loop delay histogram, so the delay is kept per second (its max is the run's max).
    const started = performance.now();
    const samples: Sample[] = [];
    const lagMs: { round: number; p99: number; max: number }[] = [];
    let phase: MemorySample['phase'] = 'before';
    let currentRound = 0;
    const sampling = { on: true };
    const sampleOnce = async () => {
      const [at, inRound] = [phase, currentRound];
      const rss = pid === undefined ? null : rssMb(pid);
      const text = (await bench.api('GET', '/metrics', bench.operator)).text;
      samples.push({ round: inRound, t: round((performance.now() - started) / 1000, 1), phase: at, rss_mb: rss, heap_used_mb: metricsMemoryMb(text).heap_used ?? null });
      if (at === 'load') lagMs.push({ round: inRound, p99: lagSeconds('p99', text) * 1000, max: lagSeconds('max', text) * 1000 });
    };
    const sampler = (async () => {
      while (sampling.on) {
        const next = performance.now() + 1000;
        await sampleOnce();
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    const forceGc = () =>
      collectGarbage(inspectorPort).then(
        () => 'main thread collected',
        (error: unknown) => `not collected: ${(error as Error).message}`,
      );
    // The baseline: what the server holds after setting up the tenants, collected like every round's end.
    const baselineGc = await forceGc();
    await sleep(3000);
    /** The last sample of `phase` in `inRound`. */
    const lastOf = (inRound: number, of: MemorySample['phase']) => samples.filter((sample) => sample.round === inRound && sample.phase === of).at(-1) ?? null;

    const runRound = async (index: number) => {
      const listenBefore = listenCounters(readOrEmpty('/proc/net/netstat'));
      // The listening socket's accept queue, four times a second: connections the server has not accepted yet.
      let queuePeak: number | null = null;
      const queueSampler = setInterval(() => {
        const queued = acceptQueue(readOrEmpty('/proc/net/tcp'), port);
        if (queued !== null) queuePeak = Math.max(queuePeak ?? 0, queued);
      }, 250);
      const before = (await bench.api('GET', '/metrics', bench.operator)).text;
      const loadStart = loadAverage();
      const window = await serverWindow(bench);
      currentRound = index;
      phase = 'load';
      let report: FleetReport;
      try {
        report = await runFleet({ url: bench.server.url, ca, agents: fleet, seconds, periodMs, batchResults, rampMs }, processes);
      } finally {
        phase = 'after';
        clearInterval(queueSampler);
      }
      const metrics = (await bench.api('GET', '/metrics', bench.operator)).text;
      const server = await window();
      const loadEnd = loadAverage();
      const listenAfter = listenCounters(readOrEmpty('/proc/net/netstat'));
      // The agents have closed their connections: does memory fall back or hold once they are gone?
      // Then a full GC of the main thread: what is left is what the server holds, not garbage.
      await sleep(AFTER_MS);
      phase = 'after_gc';
      const gc = await forceGc();
      await sleep(AFTER_GC_MS);
      const closedBefore = closeReasons(before);
      const closed = Object.fromEntries(Object.entries(closeReasons(metrics)).map(([reason, n]) => [reason, n - (closedBefore[reason] ?? 0)]));
      const errors = Object.values(report.errors).reduce((sum, n) => sum + n, 0);
      const lag = lagMs.filter((entry) => entry.round === index);
      const perSecondP99 = lag.map((entry) => entry.p99).sort((x, y) => x - y);
      const handshakes = serverHandshakes(before, metrics);
      // Slow connects, fleet side: TLS over 1 s once TCP was connected, and the connects that failed
      // after TCP (each after the 10 s connect timeout). Server side: handshakes over 1 s, either outcome.
      const fleetSlow = report.tls_handshake_ms.over_1s + report.connect_failures.no_server_hello + report.connect_failures.server_hello_processed;
      const serverSlow = (handshakes.completed?.over_1s ?? 0) + (handshakes.incomplete?.over_1s ?? 0);
      // This round's samples, with the previous round's after-GC ones (or the baseline) as its "before".
      const previous = samples.filter((sample) => sample.round === index - 1 && sample.phase === (index === 1 ? 'before' : 'after_gc')).map((sample) => ({ ...sample, phase: 'before' as const }));
      const mine = [...previous, ...samples.filter((sample) => sample.round === index)];
      return {
        round: index,
        load_average_1_5_15: { start: loadStart, end: loadEnd },
        no_error_but_429: errors === 0,
        fleet: report,
        // Whose were the slow connects: the server's handshake, or the fleet's own starvation (or the accept queue, before the server's timer).
        handshakes: {
          server: handshakes,
          fleet: report.tls_handshake_ms,
          fleet_connect_failures: report.connect_failures,
          slow_over_1s: { fleet: fleetSlow, server: serverSlow, accept_queue_peak: queuePeak, side: slowConnectsSide(fleetSlow, serverSlow) },
          fleet_event_loop_delay_ms: report.event_loop_delay_ms,
        },
        // Per round, kept for reading, not for the verdict: a last-half slope under flat_mb_per_s is
        // rare, as V8's old-generation cycle is about as long as a round.
        memory: {
          flat_mb_per_s: FLAT_MB_PER_SEC,
          forced_gc: gc,
          rss: slopeOnly(summarize(mine, (sample) => sample.rss_mb)),
          heap_used: slopeOnly(summarize(mine, (sample) => sample.heap_used_mb)),
        },
        server_memory_mb: { before: metricsMemoryMb(before), after_load: metricsMemoryMb(metrics) },
        // Host-wide counters (other processes' listeners count too): non-zero would mean SYNs or
        // handshakes dropped for a full queue. The accept queue is this server's own.
        listen: {
          counters_during_run: Object.fromEntries(LISTEN_COUNTERS.map((name) => [name, (listenAfter[name] ?? Number.NaN) - (listenBefore[name] ?? Number.NaN)])),
          accept_queue_peak: queuePeak,
          // The queue's limit: serve's backlog, capped by the kernel.
          accept_queue_limit: Math.min(LISTEN_BACKLOG, Number(readOrEmpty('/proc/sys/net/core/somaxconn').trim()) || Number.NaN),
        },
        server: {
          ...server,
          connections_closed_by_reason: closed,
          event_loop_delay_ms: {
            max: round(Math.max(0, ...lag.map((entry) => entry.max))),
            p99_of_each_second: { median: round(perSecondP99[Math.floor(perSecondP99.length / 2)] ?? Number.NaN), max: round(perSecondP99.at(-1) ?? Number.NaN) },
          },
        },
      };
    };

    const results: Awaited<ReturnType<typeof runRound>>[] = [];
    try {
      for (let index = 1; index <= rounds; index++) {
        process.stderr.write(`agents_1000: round ${index} of ${rounds}\n`);
        results.push(await runRound(index));
      }
    } finally {
      // Stopped whatever happened: the sampler scrapes the server this function closes.
      sampling.on = false;
      await sampler.catch(() => undefined);
    }
    const afterGc = (pick: (sample: MemorySample) => number | null) => Array.from({ length: rounds + 1 }, (_, index) => {
      const last = lastOf(index, index === 0 ? 'before' : 'after_gc');
      return last === null ? null : pick(last);
    });
    return {
      agents,
      tenants,
      seconds,
      rounds,
      fleet_processes: processes,
      batch_results: batchResults,
      period_ms: periodMs,
      ramp_ms: rampMs,
      offered_results_per_sec_per_tenant: offeredPerTenant,
      tenant_rates: rates,
      no_error_but_429: results.every((result) => result.no_error_but_429),
      // The figures, round by round (full detail under `rounds_detail`).
      by_round: results.map((result) => ({
        round: result.round,
        load_average_1: [result.load_average_1_5_15.start[0], result.load_average_1_5_15.end[0]],
        requests: result.fleet.requests,
        admitted: result.fleet.admitted,
        refused_429: result.fleet.refused_429,
        errors: result.fleet.errors,
        latency_ms: { p50: result.fleet.latency_ms.p50, p99: result.fleet.latency_ms.p99, steady_p99: result.fleet.latency_ms.steady_p99 },
        slow_connects_over_1s: result.handshakes.slow_over_1s,
        server_handshake_p99_ms: result.handshakes.server.completed?.p99_ms ?? null,
        fleet_tls_handshake_p99_ms: result.fleet.tls_handshake_ms.p99,
        // The fleet's handshake in two: waiting for the ServerHello, then its own turn.
        fleet_tls_parts_p99_ms: { to_server_hello: result.fleet.tls_handshake_ms.to_server_hello.p99, server_hello_to_done: result.fleet.tls_handshake_ms.server_hello_to_done.p99 },
        rss_last_half_slope_mb_per_s: result.memory.rss.last_half_slope_mb_per_s,
        rss_after_gc_mb: result.memory.rss.after_gc_mb,
      })),
      // Bounded or not, from RSS after a forced GC before the first round and after each (roundsVerdict).
      memory: {
        baseline_gc: baselineGc,
        rss_bounded: roundsVerdict(afterGc((sample) => sample.rss_mb)),
        heap_used_after_gc_mb: afterGc((sample) => sample.heap_used_mb),
        samples: samples.map((sample) => [sample.round, sample.t, sample.phase, sample.rss_mb, sample.heap_used_mb]),
      },
      rounds_detail: results,
    };
  } finally {
    await bench.close();
  }
}
