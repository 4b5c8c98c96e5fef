import { nearestRank } from '../telemetry/latency-percentiles';

/**
 * The most recent latencies of one tenant in a fixed ring, for p50/p99 on demand. A ring of the
 * last N (rather than a histogram since start) keeps the figures about now, which is what an
 * operator watching a noisy neighbour needs.
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity = 2048) {
    this.values = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    this.size = Math.min(this.size + 1, this.values.length);
  }

  /** Nearest-rank percentile (0 < p <= 100) of what the window holds, or null when empty. */
  percentile(p: number): number | null {
    if (this.size === 0) return null;
    const sorted = this.values.slice(0, this.size).sort();
    return sorted[nearestRank(this.size, p) - 1] ?? null;
  }
}
