/**
 * A token bucket over ingest units (results + flow events): it refills at `ratePerSec` up to
 * `burst`. A take either admits all of its units or none (a batch is never half-stored) and, when
 * refused, says when to come back: when the same take would succeed, or later when other refused
 * takes were told to come first. Bounds are on rates, never on totals.
 */
export type TakeResult = { admitted: true } | { admitted: false; retryAfterMs: number; reason: 'rate' | 'exceeds_burst' };

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** When the last refused take was told to come back: the next refused one is told to come after it. */
  private lastTurnMs = Number.NEGATIVE_INFINITY;

  constructor(
    private ratePerSec: number,
    private burst: number,
    nowMs: number,
  ) {
    if (!(ratePerSec > 0) || !(burst > 0)) {
      throw new RangeError('rate and burst must be positive');
    }
    this.tokens = burst;
    this.last = nowMs;
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get capacity(): number {
    return this.burst;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.ratePerSec);
      this.last = nowMs;
    }
  }

  /** Tokens available at `nowMs` (for counters and tests). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** What take(units) would answer now, without taking anything. */
  peek(units: number, nowMs: number): TakeResult {
    this.refill(nowMs);
    if (units > this.burst) {
      return { admitted: false, retryAfterMs: Number.POSITIVE_INFINITY, reason: 'exceeds_burst' };
    }
    if (this.tokens >= units) {
      return { admitted: true };
    }
    return { admitted: false, retryAfterMs: Math.ceil(((units - this.tokens) / this.ratePerSec) * 1000), reason: 'rate' };
  }

  take(units: number, nowMs: number): TakeResult {
    if (units > this.burst) {
      // Never admissible as one batch, however long the caller waits: not a retryable refusal.
      return { admitted: false, retryAfterMs: Number.POSITIVE_INFINITY, reason: 'exceeds_burst' };
    }
    this.refill(nowMs);
    if (this.tokens >= units) {
      this.tokens -= units;
      return { admitted: true };
    }
    // Alone, this take would pass once the missing units have refilled. Callers refused before it
    // whose turn is still ahead will use those units first, so it is given the turn after the last
    // of theirs: agents all told one time would come back at once and all but one be refused again.
    // A turn is never more than one refill of the whole bucket away, so turns that are never used
    // (an agent that gave up, or ignores Retry-After) cannot push everyone else's out.
    const msFor = (count: number) => (count / this.ratePerSec) * 1000;
    const alone = nowMs + msFor(units - this.tokens);
    const afterQueued = this.lastTurnMs > nowMs ? Math.min(this.lastTurnMs + msFor(units), nowMs + msFor(this.burst)) : alone;
    const turn = Math.max(alone, afterQueued);
    this.lastTurnMs = turn;
    return { admitted: false, retryAfterMs: Math.ceil(turn - nowMs), reason: 'rate' };
  }

  /** Gives back units taken for work that was then shed before it was stored (never above the burst). */
  refund(units: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.min(this.burst, this.tokens + units);
  }

  /** Applies new limits live. The bucket keeps its fill ratio, so a change neither grants nor steals a burst. */
  reconfigure(ratePerSec: number, burst: number, nowMs: number): void {
    if (!(ratePerSec > 0) || !(burst > 0)) {
      throw new RangeError('rate and burst must be positive');
    }
    this.refill(nowMs);
    const ratio = this.tokens / this.burst;
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.tokens = ratio * burst;
    // Turns handed out were reckoned at the old rate: a raised limit must not keep agents waiting on them.
    this.lastTurnMs = Number.NEGATIVE_INFINITY;
  }
}

/**
 * This replica's share of a tenant's configured limits when `liveReplicas` serve it: each admits
 * rate/n with burst/n, so the tenant's total across replicas stays at its setting (as Grafana Mimir
 * divides a tenant's global limit by its healthy distributors).
 */
export function replicaShare(limits: { ratePerSec: number; burst: number }, liveReplicas: number): { ratePerSec: number; burst: number } {
  const n = Math.max(1, Math.floor(liveReplicas));
  return { ratePerSec: limits.ratePerSec / n, burst: Math.max(1, limits.burst / n) };
}
