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
