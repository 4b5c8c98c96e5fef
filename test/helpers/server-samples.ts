// What a bench samples of a server process it started, once a second (agents_1000, #23): its memory,
// its listening socket's accept queue, and the kernel's listen-overflow counters. Linux only: every
// reader answers null where /proc cannot be read.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { WebSocket } from 'undici';

/** One sample: seconds since sampling started, and MB. `phase` says whether the agents were sending. */
export interface MemorySample {
  t: number;
  phase: 'before' | 'load' | 'after' | 'after_gc';
  rss_mb: number | null;
  heap_used_mb: number | null;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The resident set of a process in MB, from /proc/<pid>/status. */
export function rssMb(pid: number, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number | null {
  try {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`));
    return line?.[1] === undefined ? null : mb(Number(line[1]) * 1024);
  } catch {
    return null;
  }
}

/** The server's memory by kind in MB at a scrape of its /metrics (rss, heap_used, heap_total, external, array_buffers). */
export function metricsMemoryMb(metrics: string): Record<string, number> {
  return Object.fromEntries([...metrics.matchAll(/^bulkhead_process_memory_bytes\{kind="([a-z_]+)"\} (\S+)$/gm)].map((match) => [match[1] ?? '', mb(Number(match[2]))]));
}

/** Least-squares slope of `y` over `t` in units per second, or null with fewer than two points. */
export function slopePerSecond(points: { t: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.y - meanY);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? null : num / den;
}

/** Slopes below this (MB/s over the last half of the load) count as flat: 30 MB over a 60 s run's last 30 s. */
export const FLAT_MB_PER_SEC = 1;

export interface MemorySummary {
  start_mb: number | null;
  peak_mb: number | null;
  /** Least-squares slope over the second half of the load, MB/s. */
  last_half_slope_mb_per_s: number | null;
  /** The last sample of the load; the last one after the agents left (their connections closed), before any forced GC; the last after it. */
  load_end_mb: number | null;
  after_mb: number | null;
  after_s: number | null;
  after_gc_mb: number | null;
  /** Flat over the last half (|slope| < FLAT_MB_PER_SEC), and after the agents left (before any forced GC) no faster a rise than that. */
  bounded: boolean;
}

/** Start, peak, last-half slope and the figure after the agents left, of one kind of sample. */
export function summarize(samples: MemorySample[], pick: (sample: MemorySample) => number | null): MemorySummary {
  const valued = samples.flatMap((sample) => {
    const y = pick(sample);
    return y === null ? [] : [{ ...sample, y }];
  });
  const load = valued.filter((sample) => sample.phase === 'load');
  const after = valued.filter((sample) => sample.phase === 'after');
  const afterGc = valued.filter((sample) => sample.phase === 'after_gc');
  const before = valued.filter((sample) => sample.phase === 'before');
  const loadFrom = load[0]?.t ?? 0;
  const loadTo = load.at(-1)?.t ?? 0;
  const lastHalf = load.filter((sample) => sample.t >= (loadFrom + loadTo) / 2);
  const slope = slopePerSecond(lastHalf);
  const loadEnd = load.at(-1)?.y ?? null;
  const afterLast = after.at(-1) ?? null;
  const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);
  return {
    start_mb: before.at(-1)?.y ?? load[0]?.y ?? null,
    peak_mb: valued.length === 0 ? null : Math.max(...valued.map((sample) => sample.y)),
    last_half_slope_mb_per_s: round(slope),
    load_end_mb: loadEnd,
    after_mb: afterLast?.y ?? null,
    after_s: afterLast === null ? null : Math.round(afterLast.t - loadTo),
    after_gc_mb: afterGc.at(-1)?.y ?? null,
    // After: fell back, or rose less than a flat slope would over the same seconds (a plateau).
    bounded: slope !== null && Math.abs(slope) < FLAT_MB_PER_SEC && loadEnd !== null && afterLast !== null && afterLast.y - loadEnd < FLAT_MB_PER_SEC * (afterLast.t - loadTo),
  };
}

/** The kernel's counters of connections a full listen queue refused (host-wide: every listener counts). */
export const LISTEN_COUNTERS = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies', 'SyncookiesSent'] as const;

/** TcpExt counters of /proc/net/netstat by name (a header line of names, then one of values). */
export function listenCounters(netstat: string): Record<(typeof LISTEN_COUNTERS)[number], number | null> {
  const lines = netstat.split('\n').filter((line) => line.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/).slice(1) ?? [];
  const values = lines[1]?.split(/\s+/).slice(1) ?? [];
  const at = (name: string) => {
    const index = names.indexOf(name);
    const value = index < 0 ? undefined : values[index];
    return value === undefined ? null : Number(value);
  };
  return Object.fromEntries(LISTEN_COUNTERS.map((name) => [name, at(name)])) as Record<(typeof LISTEN_COUNTERS)[number], number | null>;
}

/**
 * The connections waiting for accept() on a listening TCP socket on `port`, from /proc/net/tcp
 * (IPv4): for a LISTEN socket (state 0A) rx_queue is its accept queue's length (its limit is
 * min(backlog, net.core.somaxconn), which this file does not show). Null when no listener is found.
 */
export function acceptQueue(procNetTcp: string, port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of procNetTcp.split('\n')) {
    const [, local, , state, queues] = line.trim().split(/\s+/);
    if (state !== '0A' || local?.split(':')[1] !== hexPort || queues === undefined) continue;
    return parseInt(queues.split(':')[1] ?? '', 16);
  }
  return null;
}

/** A free TCP port on loopback (the kernel's pick, released at once: a bench's best effort). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Forces a full garbage collection of a Node process's main thread through its inspector (started
 * with --inspect=127.0.0.1:<port>, benches only): the server has no way to be told to collect, and
 * must not have one. Worker threads' heaps are not collected.
 */
export async function collectGarbage(inspectorPort: number): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error('no inspector target');
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.onerror = () => reject(new Error('inspector connection failed'));
      socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      socket.onmessage = (event) => {
        if ((JSON.parse(String(event.data)) as { id?: number }).id === 1) resolve();
      };
    });
  } finally {
    socket.close();
  }
}

/** One series of a Prometheus histogram: its finite upper bounds, cumulative counts (then +Inf), count and sum. */
export interface Histogram {
  bounds: number[];
  cumulative: number[];
  count: number;
  sum: number;
}

/** The histogram `name`{`label`="`value`"} of a /metrics text, or null when it is not there. */
export function readHistogram(metrics: string, name: string, label: string, value: string): Histogram | null {
  const points: [number, number][] = [];
  for (const match of metrics.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = match[1] ?? '';
    if (!labels.split(',').includes(`${label}="${value}"`)) continue;
    const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
    if (le !== undefined) points.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(match[2])]);
  }
  if (points.length === 0) return null;
  points.sort((x, y) => x[0] - y[0]);
  const read = (suffix: string) => Number(new RegExp(`^${name}_${suffix}\\{${label}="${value}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  return { bounds: points.map(([le]) => le).filter((le) => Number.isFinite(le)), cumulative: points.map(([, n]) => n), count: read('count'), sum: read('sum') };
}

/** What a histogram gained between two scrapes of the same process (same buckets). */
export function histogramDelta(before: Histogram | null, after: Histogram): Histogram {
  if (before === null) return after;
  return { bounds: after.bounds, cumulative: after.cumulative.map((n, i) => n - (before.cumulative[i] ?? 0)), count: after.count - before.count, sum: after.sum - before.sum };
}

/**
 * The q-quantile estimated from the buckets as Prometheus's histogram_quantile does: linear within
 * the bucket it falls in (from 0 in the first). In the +Inf bucket it answers the highest finite
 * bound (a floor: "at least"). Null with no observation.
 */
export function bucketQuantile(histogram: Histogram, q: number): number | null {
  const total = histogram.cumulative.at(-1) ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  const at = histogram.cumulative.findIndex((n) => n >= rank);
  if (at >= histogram.bounds.length || at < 0) return histogram.bounds.at(-1) ?? null;
  const lower = at === 0 ? 0 : (histogram.bounds[at - 1] ?? 0);
  const upper = histogram.bounds[at] ?? lower;
  const below = at === 0 ? 0 : (histogram.cumulative[at - 1] ?? 0);
  const inBucket = (histogram.cumulative[at] ?? 0) - below;
  return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
}

/** Observations above `bound` (which must be one of the bucket bounds; null otherwise). */
export function countAbove(histogram: Histogram, bound: number): number | null {
  const index = histogram.bounds.indexOf(bound);
  const total = histogram.cumulative.at(-1);
  return index < 0 || total === undefined ? null : total - (histogram.cumulative[index] ?? 0);
}

/** A histogram of seconds as a bench reports it: count, p50/p99 from the buckets (ms), and how many took over 1 s and 5 s. */
export function secondsFigures(histogram: Histogram): { count: number; p50_ms: number | null; p99_ms: number | null; mean_ms: number | null; over_1s: number | null; over_5s: number | null } {
  const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000 * 10) / 10);
  return {
    count: histogram.count,
    p50_ms: ms(bucketQuantile(histogram, 0.5)),
    p99_ms: ms(bucketQuantile(histogram, 0.99)),
    mean_ms: histogram.count > 0 ? ms(histogram.sum / histogram.count) : null,
    over_1s: countAbove(histogram, 1),
    over_5s: countAbove(histogram, 5),
  };
}

/**
 * Whose were the slow connects of a run: the fleet's TLS connects that took over 1 s (TCP
 * connected to handshake done, as the fleet saw it, plus the ones that failed after TCP), against
 * the server's handshakes over 1 s (accepted to secureConnection, plus the incomplete ones that
 * lasted that long). The server's figure leaves out the time a connection waited in the accept
 * queue, which the fleet's includes: read it with the queue's peak.
 */
export function slowConnectsSide(fleetSlow: number, serverSlow: number): 'none' | 'server' | 'fleet' | 'both' {
  if (fleetSlow === 0 && serverSlow === 0) return 'none';
  // The server's slow handshakes account for most of the fleet's: the server was slow.
  if (serverSlow >= fleetSlow * 0.8) return 'server';
  // Hardly any of the fleet's slow connects were slow on the server: the fleet (or the accept queue).
  if (serverSlow <= fleetSlow * 0.2) return 'fleet';
  return 'both';
}

/**
 * RSS after a forced GC is not exact: glibc keeps freed memory in its arenas, and the forced GC does
 * not reach the writer threads' V8 heaps. A round adding less than this is within that noise (the
 * third of three 40 s fleets added 6 MB). 10 MB over a 60 s round is 0.17 MB/s, far stricter than
 * the 1 MB/s slope criterion it replaces.
 */
export const ROUND_NOISE_MB = 10;

export interface RoundsVerdict {
  /** RSS after the forced GC before the first round, then after each round, MB. */
  after_gc_mb: number[];
  /** What each round added to it, MB. */
  added_mb: number[];
  /** null with fewer than two rounds: one round cannot tell allocator growth from a leak. */
  bounded: boolean | null;
  why: string;
}

/**
 * Is RSS bounded over repeated rounds of the same load against one server? The first round warms
 * the server up (JIT code, caches, malloc arenas sized for 1,000 connections), so its rise says
 * nothing. Memory that malloc keeps for reuse makes the later rises shrink (converge); a leak adds
 * about the same every round. Bounded: the last round added less than ROUND_NOISE_MB, or (with a
 * round before it that was not the first) at most half of what that round added.
 */
export function roundsVerdict(afterGcMb: (number | null)[]): RoundsVerdict {
  const known = afterGcMb.filter((mb): mb is number => mb !== null);
  const added = known.slice(1).map((mb, i) => Math.round((mb - (known[i] ?? mb)) * 10) / 10);
  const base = { after_gc_mb: known, added_mb: added };
  if (known.length !== afterGcMb.length) return { ...base, bounded: null, why: 'RSS after a GC not read for every round' };
  if (added.length < 2) return { ...base, bounded: null, why: 'one round cannot tell allocator growth from a leak: run two or more (BULKHEAD_FLEET_ROUNDS)' };
  const last = added.at(-1) ?? 0;
  if (last < ROUND_NOISE_MB) return { ...base, bounded: true, why: `the last round added ${last} MB, under ${ROUND_NOISE_MB} MB` };
  const previous = added.at(-2) ?? 0;
  if (added.length >= 3 && last <= previous / 2) return { ...base, bounded: true, why: `the last round added ${last} MB, at most half of the round before (${previous} MB): converging` };
  return { ...base, bounded: false, why: `the last round added ${last} MB (${ROUND_NOISE_MB} MB or more${added.length >= 3 ? `, and more than half of the round before's ${previous} MB` : ''})` };
}
