// agents_1000 (#23): a fleet of well-behaved agents, each with its own token and connection, against
// a real `serve` child process on loopback for a bounded time. The goal: no error but 429, the
// server's RSS bounded, and the latency percentiles reported. The agents run in a process of their
// own (fleet-agents.ts), which stops sending at its deadline and exits by itself.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetConfig, FleetReport } from './fleet-agents';
import { round, serverWindow, startBenchServer } from './ingest-bench';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The resident set of a process in MB, from /proc (Linux), or null where it cannot be read. */
function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line?.[1] === undefined ? null : round(Number(line[1]) / 1024, 1);
  } catch {
    return null;
  }
}

/** Runs the fleet in its own process; killed if it has not reported within its time and a minute. */
function runFleetProcess(config: FleetConfig): Promise<FleetReport> {
  const child = fork(fileURLToPath(new URL('./fleet-agents.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

/** The server's memory by kind in MB at a scrape (rss, heap_used, heap_total, external, array_buffers). */
function memoryMb(metrics: string): Record<string, number> {
  return Object.fromEntries([...metrics.matchAll(/^bulkhead_process_memory_bytes\{kind="([a-z_]+)"\} (\S+)$/gm)].map((match) => [match[1] ?? '', round(Number(match[2]) / 1024 / 1024, 1)]));
}

const loadAverage = () => loadavg().map((value) => round(value, 2));

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
  const bench = await startBenchServer({ fairness: true, connections: 8 });
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
    const rssStart = rssMb(pid);
    let rssPeak = rssStart ?? 0;
    const rssEvery5s: (number | null)[] = [];
    let samples = 0;
    const sampler = setInterval(() => {
      const rss = rssMb(pid);
      rssPeak = Math.max(rssPeak, rss ?? 0);
      if (samples++ % 20 === 0) rssEvery5s.push(rss);
    }, 250);
    const before = (await bench.api('GET', '/metrics', bench.operator)).text;
    const loadStart = loadAverage();
    const window = await serverWindow(bench);
    let report: FleetReport;
    try {
      report = await runFleetProcess({ url: bench.server.url, ca: readFileSync(join(bench.dataDir, 'tls', 'ca.crt'), 'utf8'), agents: fleet, seconds, periodMs, batchResults, rampMs });
    } finally {
      clearInterval(sampler);
    }
    // The main thread's longest stall in the run (prom-client's event loop delay, reset at each scrape).
    const lagSeconds = (name: string, text: string) => Number(new RegExp(`^bulkhead_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const metrics = (await bench.api('GET', '/metrics', bench.operator)).text;
    const server = await window();
    const loadEnd = loadAverage();
    await sleep(2000);
    const rssEnd = rssMb(pid);
    const closedBefore = closeReasons(before);
    const closed = Object.fromEntries(Object.entries(closeReasons(metrics)).map(([reason, n]) => [reason, n - (closedBefore[reason] ?? 0)]));
    const errors = Object.values(report.errors).reduce((sum, n) => sum + n, 0);
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
      server_rss_mb: { start: rssStart, peak: round(rssPeak, 1), end: rssEnd, every_5_s: rssEvery5s },
      server_memory_mb: { before: memoryMb(before), after: memoryMb(metrics) },
      server: { ...server, connections_closed_by_reason: closed, event_loop_delay_ms: { p99: round(lagSeconds('p99', metrics) * 1000), max: round(lagSeconds('max', metrics) * 1000) } },
    };
  } finally {
    await bench.close();
  }
}
