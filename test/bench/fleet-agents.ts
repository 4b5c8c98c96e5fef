// A fleet of well-behaved agents in a process of their own, or part of one over several (the
// agents_1000 bench; the parts' figures are merged by mergeShards): each agent has
// its own token and its own keep-alive connection, starts within the ramp (so 1,000 TLS handshakes
// are spread over seconds, not one period), sends a batch every `periodMs` from a random phase, and
// after a 429 waits out retry_after_ms and sends the same batch again, as a real agent does. A batch
// whose connection closed before any answer is sent again at once on a new one (its batch_id makes
// a repeat harmless), at most RESENDS_AFTER_CLOSE times: counted and reported, not an error.
// Bounded: it stops sending at its deadline, and exits by itself if anything keeps it past a hard stop.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { BATCH_UNITS_HEADER } from '../../contracts/telemetry';
import { batchBody } from './agent-batches';

export interface FleetConfig {
  url: string;
  ca: string;
  agents: { token: string; testIds: string[] }[];
  seconds: number;
  periodMs: number;
  batchResults: number;
  /** Agents start evenly over this (plus their random phase within a period). */
  rampMs: number;
}

/** Set to 1 in a fleet process's environment by the bench that forks it. */
export const FLEET_CHILD_ENV = 'BULKHEAD_FLEET_CHILD';

/** Sends of one batch after its connection closed before any answer; past them, the close is an error. */
export const RESENDS_AFTER_CLOSE = 3;

/** undici's errors for a connection that closed or broke with the request on it, before any answer. */
const CLOSED_BEFORE_ANSWER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

export interface FleetReport {
  kind: 'done';
  /** How many processes the agents were split over (the percentiles pool every process's answers). */
  processes: number;
  agents: number;
  /** Agents whose connection answered at least once. */
  connected_agents: number;
  requests: number;
  admitted: number;
  refused_429: number;
  /** Every connection that closed or failed under a request before any answer, by error code (resent ones included). */
  closed_before_answer: Record<string, number>;
  /** Batches sent again at once after such a close (not errors unless RESENDS_AFTER_CLOSE ran out). */
  resent_after_close: number;
  /** Anything but 202 and 429 that no resend fixed, by kind: `http_<status>` or the network error's code. */
  errors: Record<string, number>;
  /** The same errors by the second of the run they happened in. */
  errors_by_second: Record<string, number>;
  /** The same errors by what the agent did just before: `after_429_wait_<s>s` (waited out Retry-After), `after_error` or `on_pace`. */
  errors_after: Record<string, number>;
  /** The retry_after_ms of the 429s, in whole seconds rounded up, and how many. */
  retry_after_s: Record<string, number>;
  /** Every answered request; `steady_*` leaves out each agent's first (its TLS handshake, all agents starting within one period). */
  latency_ms: { p50: number; p99: number; max: number; steady_p50: number; steady_p99: number; admitted_p99: number };
  results_admitted: number;
  cpu_percent: number;
  /** Every new connection's TCP connect (SYN to accepted by the kernel), ms. */
  tcp_connect_ms: { p99: number; max: number };
  /**
   * Every completed connect's TLS handshake as this process saw it, TCP connected to handshake
   * done, ms: the interval the server times from its accept (bulkhead_tls_handshake_duration_seconds),
   * plus whatever this process's own stalls added on its side.
   */
  tls_handshake_ms: {
    count: number;
    p50: number;
    p99: number;
    max: number;
    over_1s: number;
    over_5s: number;
    /** Its two parts: TCP connected to the ServerHello processed here (the accept queue, the server's turn, this process reading it), ms. */
    to_server_hello: { p50: number; p99: number; over_1s: number };
    /** The ServerHello processed to the handshake done (this process's own turn: the certificate checked, its Finished sent), ms. */
    server_hello_to_done: { p50: number; p99: number; over_1s: number };
  };
  /**
   * Connects that failed (e.g. the 10 s connect timeout), by how far they got: TCP not connected
   * (the listen queue), TCP connected but no ServerHello processed here (the server's TLS flight
   * not sent, or not read by this process), or the ServerHello processed (handshake keys derived:
   * TLS 1.3's first keylog line) and the handshake still not finished.
   */
  connect_failures: { tcp_not_connected: number; no_server_hello: number; server_hello_processed: number };
  /** The fleet's own event-loop delay (its worst process's): a starved fleet delays its side of every handshake. */
  event_loop_delay_ms: { p99: number; max: number };
}

interface ConnectTrace {
  tcpMs: number[];
  tlsMs: number[];
  helloMs: number[];
  doneMs: number[];
  failures: FleetReport['connect_failures'];
}

/** undici's connector, timed: how long TCP took, and how far a connect that failed got (nothing is logged). */
function tracedConnector(ca: string, trace: ConnectTrace): buildConnector.connector {
  // undici's connector returns the socket it opens (its type says void): kept to read what it got.
  const base = buildConnector({ ca, timeout: 10_000 }) as unknown as (options: buildConnector.Options, callback: buildConnector.Callback) => Socket;
  return (options, callback) => {
    const started = performance.now();
    let tcpConnected = false;
    let tcpAt = 0;
    let serverHello = false;
    let helloAt = 0;
    const socket = base(options, (...args) => {
      if (args[0] !== null) {
        const kind = !tcpConnected ? 'tcp_not_connected' : serverHello ? 'server_hello_processed' : 'no_server_hello';
        trace.failures[kind]++;
      } else if (tcpConnected) {
        const done = performance.now();
        trace.tlsMs.push(done - tcpAt);
        if (serverHello) {
          trace.helloMs.push(helloAt - tcpAt);
          trace.doneMs.push(done - helloAt);
        }
      }
      callback(...args);
    });
    socket.once('connect', () => {
      tcpConnected = true;
      tcpAt = performance.now();
      trace.tcpMs.push(tcpAt - started);
    });
    // The client derives its first TLS 1.3 secret once it has processed the ServerHello; the
    // secret itself is dropped. (A TLSSocket's bytesRead counts cleartext, so cannot tell.)
    socket.once('keylog', () => {
      serverHello = true;
      helloAt = performance.now();
    });
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export async function runFleet(config: FleetConfig): Promise<FleetShard> {
  const started = performance.now();
  const cpuFrom = process.cpuUsage();
  const deadline = started + config.seconds * 1000;
  const latencies: number[] = [];
  const admittedLatencies: number[] = [];
  const steadyLatencies: number[] = [];
  const errors: Record<string, number> = {};
  let admitted = 0;
  let refused = 0;
  const connected = new Set<number>();
  const bySecond: Record<string, number> = {};
  const after: Record<string, number> = {};
  const retryAfter: Record<string, number> = {};
  const closedBeforeAnswer: Record<string, number> = {};
  let resent = 0;
  const trace: ConnectTrace = { tcpMs: [], tlsMs: [], helloMs: [], doneMs: [], failures: { tcp_not_connected: 0, no_server_hello: 0, server_hello_processed: 0 } };
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const count = (kind: string, cause: string) => {
    after[cause] = (after[cause] ?? 0) + 1;
    errors[kind] = (errors[kind] ?? 0) + 1;
    const second = String(Math.floor((performance.now() - started) / 1000));
    bySecond[second] = (bySecond[second] ?? 0) + 1;
  };

  const agent = async ({ token, testIds }: FleetConfig['agents'][number], index: number) => {
    const client = new Client(config.url, { connect: tracedConnector(config.ca, trace), keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
    try {
      await sleep((index / config.agents.length) * config.rampMs + Math.random() * config.periodMs);
      let next = performance.now();
      let body = batchBody(randomUUID(), config.batchResults, testIds);
      let wait = 0;
      let cause = 'on_pace';
      let closes = 0;
      while (performance.now() < deadline) {
        const sentAt = performance.now();
        const waited = cause;
        cause = 'on_pace';
        wait = 0;
        let response: Dispatcher.ResponseData;
        try {
          response = await client.request({
            path: '/agent/v1/ingest',
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [BATCH_UNITS_HEADER]: String(config.batchResults) },
            body,
          });
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'network_error';
          if (CLOSED_BEFORE_ANSWER.has(code)) {
            closedBeforeAnswer[code] = (closedBeforeAnswer[code] ?? 0) + 1;
            if (closes++ < RESENDS_AFTER_CLOSE) {
              // No answer came: the same batch again, at once, on a new connection.
              resent++;
              cause = waited;
              continue;
            }
          }
          closes = 0;
          count(code, waited);
          wait = 1000;
          cause = 'after_error';
          await sleep(wait);
          next = performance.now();
          continue;
        }
        closes = 0;
        try {
          const text = await response.body.text();
          const ms = performance.now() - sentAt;
          latencies.push(ms);
          if (connected.has(index)) steadyLatencies.push(ms);
          connected.add(index);
          if (response.statusCode === 202) {
            admitted++;
            admittedLatencies.push(ms);
            body = batchBody(randomUUID(), config.batchResults, testIds);
          } else if (response.statusCode === 429) {
            refused++;
            // Kept and sent again after Retry-After (the same batch: its id makes a repeat harmless).
            wait = (JSON.parse(text) as { error?: { details?: { retry_after_ms?: number } } }).error?.details?.retry_after_ms ?? 1000;
            const key = String(Math.ceil(wait / 1000));
            retryAfter[key] = (retryAfter[key] ?? 0) + 1;
            cause = `after_429_wait_${key}s`;
          } else {
            count(`http_${response.statusCode}`, waited);
          }
        } catch (error) {
          count((error as { code?: string }).code ?? 'network_error', waited);
          wait = 1000;
          cause = 'after_error';
        }
        if (wait > 0) {
          await sleep(wait);
          next = performance.now();
        } else {
          next += config.periodMs;
          await sleep(Math.max(0, next - performance.now()));
        }
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  await Promise.all(config.agents.map(agent));
  const cpu = process.cpuUsage(cpuFrom);
  loopDelay.disable();
  return {
    kind: 'shard',
    agents: config.agents.length,
    connected_agents: connected.size,
    latencies,
    admitted_latencies: admittedLatencies,
    steady_latencies: steadyLatencies,
    tcp_ms: trace.tcpMs,
    tls_ms: trace.tlsMs,
    hello_ms: trace.helloMs,
    done_ms: trace.doneMs,
    admitted,
    refused,
    resent,
    errors,
    errors_by_second: bySecond,
    errors_after: after,
    retry_after_s: retryAfter,
    closed_before_answer: closedBeforeAnswer,
    connect_failures: trace.failures,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    elapsed_ms: performance.now() - started,
    event_loop_delay_ms: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  };
}

/** What one fleet process measured, raw: the processes of one fleet are merged into one report (mergeShards). */
export interface FleetShard {
  kind: 'shard';
  agents: number;
  connected_agents: number;
  latencies: number[];
  admitted_latencies: number[];
  steady_latencies: number[];
  tcp_ms: number[];
  tls_ms: number[];
  hello_ms: number[];
  done_ms: number[];
  admitted: number;
  refused: number;
  resent: number;
  errors: Record<string, number>;
  errors_by_second: Record<string, number>;
  errors_after: Record<string, number>;
  retry_after_s: Record<string, number>;
  closed_before_answer: Record<string, number>;
  connect_failures: FleetReport['connect_failures'];
  cpu_ms: number;
  elapsed_ms: number;
  event_loop_delay_ms: { p99: number; max: number };
}

const sumRecords = (records: Record<string, number>[]) => {
  const sum: Record<string, number> = {};
  for (const record of records) for (const [key, n] of Object.entries(record)) sum[key] = (sum[key] ?? 0) + n;
  return sum;
};

/** One report of the fleet's processes: their samples pooled (percentiles over every answer), their counts added. */
export function mergeShards(shards: FleetShard[], batchResults: number): FleetReport {
  const pooled = (pick: (shard: FleetShard) => number[]) => shards.flatMap(pick).sort((a, b) => a - b);
  const latencies = pooled((shard) => shard.latencies);
  const admittedLatencies = pooled((shard) => shard.admitted_latencies);
  const steadyLatencies = pooled((shard) => shard.steady_latencies);
  const tcpMs = pooled((shard) => shard.tcp_ms);
  const tlsMs = pooled((shard) => shard.tls_ms);
  const part = (ms: number[]) => ({ p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), over_1s: ms.filter((value) => value > 1000).length });
  const total = (pick: (shard: FleetShard) => number) => shards.reduce((sum, shard) => sum + pick(shard), 0);
  const errors = sumRecords(shards.map((shard) => shard.errors));
  const admitted = total((shard) => shard.admitted);
  const resent = total((shard) => shard.resent);
  const round = (value: number) => Math.round(value * 100) / 100;
  const elapsed = Math.max(0, ...shards.map((shard) => shard.elapsed_ms));
  return {
    kind: 'done',
    processes: shards.length,
    agents: total((shard) => shard.agents),
    connected_agents: total((shard) => shard.connected_agents),
    requests: latencies.length + resent + Object.values(errors).reduce((sum, n) => sum + n, 0),
    admitted,
    refused_429: total((shard) => shard.refused),
    errors,
    errors_by_second: sumRecords(shards.map((shard) => shard.errors_by_second)),
    errors_after: sumRecords(shards.map((shard) => shard.errors_after)),
    retry_after_s: sumRecords(shards.map((shard) => shard.retry_after_s)),
    closed_before_answer: sumRecords(shards.map((shard) => shard.closed_before_answer)),
    resent_after_close: resent,
    latency_ms: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0), steady_p50: round(percentile(steadyLatencies, 50)), steady_p99: round(percentile(steadyLatencies, 99)), admitted_p99: round(percentile(admittedLatencies, 99)) },
    results_admitted: admitted * batchResults,
    // Of one core: the processes' CPU added.
    cpu_percent: elapsed === 0 ? 0 : round((total((shard) => shard.cpu_ms) / elapsed) * 100),
    tcp_connect_ms: { p99: round(percentile(tcpMs, 99)), max: round(tcpMs.at(-1) ?? 0) },
    tls_handshake_ms: {
      count: tlsMs.length,
      p50: round(percentile(tlsMs, 50)),
      p99: round(percentile(tlsMs, 99)),
      max: round(tlsMs.at(-1) ?? 0),
      over_1s: tlsMs.filter((ms) => ms > 1000).length,
      over_5s: tlsMs.filter((ms) => ms > 5000).length,
      to_server_hello: part(pooled((shard) => shard.hello_ms)),
      server_hello_to_done: part(pooled((shard) => shard.done_ms)),
    },
    connect_failures: {
      tcp_not_connected: total((shard) => shard.connect_failures.tcp_not_connected),
      no_server_hello: total((shard) => shard.connect_failures.no_server_hello),
      server_hello_processed: total((shard) => shard.connect_failures.server_hello_processed),
    },
    // The worst process's: a stall delays that process's agents only.
    event_loop_delay_ms: { p99: round(Math.max(0, ...shards.map((shard) => shard.event_loop_delay_ms.p99))), max: round(Math.max(0, ...shards.map((shard) => shard.event_loop_delay_ms.max))) },
  };
}

// Run as a forked process: the configuration comes in the first message, the shard's figures go back once.
// (Only when forked as one: a test runner's worker may have an IPC channel too.)
if (process.send !== undefined && process.env[FLEET_CHILD_ENV] === '1') {
  process.once('message', (config: FleetConfig) => {
    // A hard stop whatever happens: the fleet never outlives its run by more than 30 s.
    setTimeout(() => process.exit(2), config.seconds * 1000 + 30_000).unref();
    void runFleet(config).then((shard) => {
      process.send?.(shard, () => process.disconnect());
    });
  });
}
