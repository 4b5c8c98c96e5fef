// agents_1000 (#23): a fleet of well-behaved agents, each with its own token and connection, against
// a real `serve` child process on loopback for a bounded time. The goal: no error but 429, the
// server's RSS bounded, and the latency percentiles reported. The agents run in a process of their
// own (fleet-agents.ts), which stops sending at its deadline and exits by itself. The server's RSS
// and heap are sampled every second through the load and after the agents leave, then after a GC
// forced through its loopback inspector (docs/benchmarks.md says how to read them).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetConfig, FleetReport } from './fleet-agents';
import { acceptQueue, collectGarbage, FLAT_MB_PER_SEC, freeLoopbackPort, LISTEN_COUNTERS, listenCounters, type MemorySample, metricsMemoryMb, rssMb, summarize } from '../helpers/server-samples';
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

/** Runs the fleet in its own process; killed if it has not reported within its time and a minute. */
function runFleetProcess(config: FleetConfig): Promise<FleetReport> {
  const child = fork(fileURLToPath(new URL('./fleet-agents.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', ...exitWithParentArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the agent fleet did not report in time'));
    }, config.seconds * 1000 + 60_000);
    child.once('message', (report: FleetReport) => {
      clearTimeout(timer);
      resolve(report);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent fleet exited (${String(code)}) without a report`));
    });
    child.send(config);
  });
}

/** The server's connection closes by reason, since it started (GET /metrics). */
function closeReasons(metrics: string): Record<string, number> {
  return Object.fromEntries([...metrics.matchAll(/^bulkhead_http_connections_closed\{reason="([a-z_]+)"\} (\d+)$/gm)].map((match) => [match[1] ?? '', Number(match[2])]));
}

const loadAverage = () => loadavg().map((value) => round(value, 2));

/** prom-client's event-loop delay (since the previous scrape) in seconds. */
const lagSeconds = (name: string, text: string) => Number(new RegExp(`^bulkhead_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

/** How long memory is sampled after the agents have left, and then after a forced GC. */
const AFTER_MS = 10_000;
const AFTER_GC_MS = 5_000;

export async function agentsFleetFigures(options: { agents?: number; tenants?: number; seconds?: number; periodMs?: number; batchResults?: number; rampMs?: number } = {}): Promise<Record<string, unknown>> {
  const agents = options.agents ?? 1000;
  const tenants = options.tenants ?? 10;
  const seconds = options.seconds ?? 60;
  const periodMs = options.periodMs ?? 2000;
  const batchResults = options.batchResults ?? 50;
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
    const listenBefore = listenCounters(readOrEmpty('/proc/net/netstat'));
    // Once a second: RSS from /proc, the heap from /metrics. Each scrape resets prom-client's
    // event-loop delay histogram, so the delay is kept per second (its max is the run's max).
    const started = performance.now();
    const samples: MemorySample[] = [];
    const lagMs: { p99: number; max: number }[] = [];
    let phase: MemorySample['phase'] = 'before';
    const sampling = { on: true };
    const sampleOnce = async () => {
      const at = phase;
      const rss = pid === undefined ? null : rssMb(pid);
      const text = (await bench.api('GET', '/metrics', bench.operator)).text;
      samples.push({ t: round((performance.now() - started) / 1000, 1), phase: at, rss_mb: rss, heap_used_mb: metricsMemoryMb(text).heap_used ?? null });
      if (at === 'load') lagMs.push({ p99: lagSeconds('p99', text) * 1000, max: lagSeconds('max', text) * 1000 });
    };
    const sampler = (async () => {
      while (sampling.on) {
        const next = performance.now() + 1000;
        await sampleOnce();
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    // The listening socket's accept queue, four times a second: connections the server has not accepted yet.
    let queuePeak: number | null = null;
    const queueSampler = setInterval(() => {
      const queued = acceptQueue(readOrEmpty('/proc/net/tcp'), port);
      if (queued !== null) queuePeak = Math.max(queuePeak ?? 0, queued);
    }, 250);
    await sleep(3000);
    const before = (await bench.api('GET', '/metrics', bench.operator)).text;
    const loadStart = loadAverage();
    const window = await serverWindow(bench);
    phase = 'load';
    let report: FleetReport;
    try {
      report = await runFleetProcess({ url: bench.server.url, ca: readFileSync(join(bench.dataDir, 'tls', 'ca.crt'), 'utf8'), agents: fleet, seconds, periodMs, batchResults, rampMs });
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
    const gc = await collectGarbage(inspectorPort).then(
      () => 'main thread collected',
      (error: unknown) => `not collected: ${(error as Error).message}`,
    );
    await sleep(AFTER_GC_MS);
    sampling.on = false;
    await sampler;
    const closedBefore = closeReasons(before);
    const closed = Object.fromEntries(Object.entries(closeReasons(metrics)).map(([reason, n]) => [reason, n - (closedBefore[reason] ?? 0)]));
    const errors = Object.values(report.errors).reduce((sum, n) => sum + n, 0);
    const perSecondP99 = lagMs.map((lag) => lag.p99).sort((x, y) => x - y);
    return {
      agents,
      tenants,
      seconds,
      batch_results: batchResults,
      period_ms: periodMs,
      ramp_ms: rampMs,
      load_average_1_5_15: { start: loadStart, end: loadEnd },
      offered_results_per_sec_per_tenant: offeredPerTenant,
      tenant_rates: rates,
      fleet: report,
      no_error_but_429: errors === 0,
      // Bounded: |slope| over the load's last half below flat_mb_per_s, and no higher AFTER_MS after the agents left.
      memory: {
        flat_mb_per_s: FLAT_MB_PER_SEC,
        forced_gc: gc,
        rss: summarize(samples, (sample) => sample.rss_mb),
        heap_used: summarize(samples, (sample) => sample.heap_used_mb),
        samples: samples.map((sample) => [sample.t, sample.phase, sample.rss_mb, sample.heap_used_mb]),
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
          max: round(Math.max(0, ...lagMs.map((lag) => lag.max))),
          p99_of_each_second: { median: round(perSecondP99[Math.floor(perSecondP99.length / 2)] ?? Number.NaN), max: round(perSecondP99.at(-1) ?? Number.NaN) },
        },
      },
    };
  } finally {
    await bench.close();
  }
}
