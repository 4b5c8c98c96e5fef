import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { acceptQueue, bucketQuantile, collectGarbage, countAbove, freeLoopbackPort, histogramDelta, listenCounters, metricsMemoryMb, readHistogram, roundsVerdict, rssMb, secondsFigures, slopePerSecond, slowConnectsSide, summarize, type MemorySample } from './server-samples';

const sample = (t: number, phase: MemorySample['phase'], rss: number): MemorySample => ({ t, phase, rss_mb: rss, heap_used_mb: null });

describe('server samples', () => {
  it('reads VmRSS in MB, and null where /proc cannot be read', () => {
    expect(rssMb(1, () => 'Name:\tnode\nVmRSS:\t  524288 kB\nThreads:\t11\n')).toBe(512);
    expect(
      rssMb(1, () => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });

  it('reads memory by kind from /metrics', () => {
    const text = 'bulkhead_process_memory_bytes{kind="rss"} 104857600\nbulkhead_process_memory_bytes{kind="heap_used"} 52428800\nother 1\n';
    expect(metricsMemoryMb(text)).toEqual({ rss: 100, heap_used: 50 });
  });

  it('fits a least-squares slope per second', () => {
    expect(slopePerSecond([{ t: 0, y: 10 }, { t: 1, y: 12 }, { t: 2, y: 14 }])).toBe(2);
    expect(slopePerSecond([{ t: 0, y: 5 }, { t: 10, y: 5 }])).toBe(0);
    expect(slopePerSecond([{ t: 0, y: 5 }])).toBeNull();
  });

  it('calls memory bounded when the last half of the load is flat and it is no higher after', () => {
    // Rises for the first half of the load, then holds; falls back after the agents leave.
    const plateau = [sample(0, 'before', 280), ...Array.from({ length: 61 }, (_, i) => sample(1 + i, 'load', 280 + Math.min(i, 30) * 10)), sample(72, 'after', 500), sample(78, 'after_gc', 450)];
    const flat = summarize(plateau, (entry) => entry.rss_mb);
    expect(flat).toMatchObject({ start_mb: 280, peak_mb: 580, last_half_slope_mb_per_s: 0, load_end_mb: 580, after_mb: 500, after_s: 11, after_gc_mb: 450, bounded: true });
  });

  it('does not call a rise through the last half bounded, nor a rise after the agents left', () => {
    const rising = [sample(0, 'before', 280), ...Array.from({ length: 61 }, (_, i) => sample(1 + i, 'load', 280 + i * 5)), sample(72, 'after', 500)];
    const summary = summarize(rising, (entry) => entry.rss_mb);
    expect(summary.last_half_slope_mb_per_s).toBe(5);
    expect(summary.bounded).toBe(false);
    // 20 MB in the 12 s after the load: faster than a flat slope.
    const flatThenUp = [...Array.from({ length: 61 }, (_, i) => sample(i, 'load', 500)), sample(72, 'after', 520)];
    expect(summarize(flatThenUp, (entry) => entry.rss_mb).bounded).toBe(false);
    // 2 MB in 12 s: a plateau.
    const flatThenLevel = [...Array.from({ length: 61 }, (_, i) => sample(i, 'load', 500)), sample(72, 'after', 502)];
    expect(summarize(flatThenLevel, (entry) => entry.rss_mb).bounded).toBe(true);
    expect(summarize([], (entry) => entry.rss_mb)).toMatchObject({ peak_mb: null, bounded: false });
  });

  const scrape = (counts: number[], sum: number) =>
    [
      '# HELP h_seconds x',
      ...[0.001, 0.01, 0.1, 1, 5].map((le, i) => `h_seconds_bucket{le="${le}",outcome="completed"} ${counts[i] ?? 0}`),
      `h_seconds_bucket{le="+Inf",outcome="completed"} ${counts[5] ?? 0}`,
      `h_seconds_sum{outcome="completed"} ${sum}`,
      `h_seconds_count{outcome="completed"} ${counts[5] ?? 0}`,
      'h_seconds_bucket{le="1",outcome="incomplete"} 7',
    ].join('\n');

  it('reads one series of a histogram from /metrics and what it gained between scrapes', () => {
    const before = readHistogram(scrape([0, 1, 2, 2, 2, 2], 0.5), 'h_seconds', 'outcome', 'completed');
    const after = readHistogram(scrape([0, 1, 52, 92, 98, 100], 120), 'h_seconds', 'outcome', 'completed');
    expect(after).toEqual({ bounds: [0.001, 0.01, 0.1, 1, 5], cumulative: [0, 1, 52, 92, 98, 100], count: 100, sum: 120 });
    expect(readHistogram(scrape([], 0), 'h_seconds', 'outcome', 'failed')).toBeNull();
    if (after === null) throw new Error('not read');
    const delta = histogramDelta(before, after);
    expect(delta).toEqual({ bounds: [0.001, 0.01, 0.1, 1, 5], cumulative: [0, 0, 50, 90, 96, 98], count: 98, sum: 119.5 });
    expect(histogramDelta(null, after)).toBe(after);
  });

  it('estimates quantiles from buckets as histogram_quantile does, and counts above a bound', () => {
    const h = { bounds: [0.001, 0.01, 0.1, 1, 5], cumulative: [0, 0, 50, 90, 96, 98], count: 98, sum: 119.5 };
    // Rank 49 of 98: 49 of the 50 in (0.01, 0.1].
    expect(bucketQuantile(h, 0.5)).toBeCloseTo(0.01 + (0.09 * 49) / 50, 10);
    // Rank 88.2: 38.2 of the 40 in (0.1, 1].
    expect(bucketQuantile(h, 0.9)).toBeCloseTo(0.1 + (0.9 * 38.2) / 40, 10);
    // Rank 97.02: in the +Inf bucket, so the highest finite bound (a floor).
    expect(bucketQuantile(h, 0.99)).toBe(5);
    // Rank 0.5 of 1, all in the first bucket: from 0.
    expect(bucketQuantile({ bounds: [1, 5], cumulative: [1, 1, 1], count: 1, sum: 0.2 }, 0.5)).toBe(0.5);
    expect(bucketQuantile({ bounds: [1], cumulative: [0, 0], count: 0, sum: 0 }, 0.5)).toBeNull();
    expect(countAbove(h, 1)).toBe(8);
    expect(countAbove(h, 5)).toBe(2);
    expect(countAbove(h, 2)).toBeNull();
    expect(secondsFigures(h)).toEqual({ count: 98, p50_ms: 98.2, p99_ms: 5000, mean_ms: 1219.4, over_1s: 8, over_5s: 2 });
  });

  it("says whose the slow connects were: the server's handshakes or the fleet", () => {
    expect(slowConnectsSide(0, 0)).toBe('none');
    expect(slowConnectsSide(41, 40)).toBe('server');
    expect(slowConnectsSide(41, 2)).toBe('fleet');
    expect(slowConnectsSide(40, 20)).toBe('both');
  });

  it('calls RSS bounded over rounds when the rises converge, not when each round adds the same', () => {
    // The three 40 s fleets of docs/benchmarks.md: +129, +30, +6.
    expect(roundsVerdict([196, 325, 355, 361])).toMatchObject({ added_mb: [129, 30, 6], bounded: true });
    // Halving, above the noise: converging.
    expect(roundsVerdict([200, 330, 370, 390])).toMatchObject({ added_mb: [130, 40, 20], bounded: true });
    // A steady 25 MB a round after the warm-up: a leak, however small next to the first round.
    expect(roundsVerdict([200, 330, 355, 380])).toMatchObject({ added_mb: [130, 25, 25], bounded: false });
    expect(roundsVerdict([200, 300, 400, 500, 600])).toMatchObject({ bounded: false });
    // Two rounds: only the noise floor can pass it (the first round's rise is warm-up).
    expect(roundsVerdict([200, 330, 360])).toMatchObject({ added_mb: [130, 30], bounded: false });
    expect(roundsVerdict([200, 330, 334])).toMatchObject({ bounded: true });
    expect(roundsVerdict([200, 330])).toMatchObject({ bounded: null });
    expect(roundsVerdict([200, null, 330])).toMatchObject({ bounded: null });
  });

  it('reads the listen counters of /proc/net/netstat by name', () => {
    const netstat = 'TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 1 2 3\nIpExt: InNoRoutes\nIpExt: 0\n';
    expect(listenCounters(netstat)).toEqual({ ListenOverflows: 2, ListenDrops: 3, TCPReqQFullDrop: null, TCPReqQFullDoCookies: null, SyncookiesSent: 1 });
  });

  it("reads a listener's accept queue from /proc/net/tcp, not a connection on the same port", () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:1F90 00000000:0000 0A 00001000:0000002A 00:00000000 00000000     0        0 2 1',
    ].join('\n');
    expect(acceptQueue(tcp, 8080)).toBe(42);
    expect(acceptQueue(tcp, 41394)).toBeNull();
  });

  it("forces a GC in a process through its inspector: an object only a FinalizationRegistry watches is collected", async () => {
    const port = await freeLoopbackPort();
    const script = "let held = { big: new Array(1000).fill(0) }; globalThis.registry = new FinalizationRegistry(() => console.log('collected')); globalThis.registry.register(held, 1); held = null; console.log('ready'); setInterval(() => undefined, 1000);";
    const child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      while (!out.includes('ready')) await once(child.stdout, 'data');
      // The inspector listens before the script runs.
      expect(out).not.toContain('collected');
      await collectGarbage(port);
      const deadline = Date.now() + 5000;
      while (!out.includes('collected') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(out).toContain('collected');
    } finally {
      child.kill();
    }
  });

  it('fails where no inspector listens', async () => {
    await expect(collectGarbage(await freeLoopbackPort())).rejects.toThrow();
  });
});
