import { defaultFairness, type FairnessCounters, type FairnessLimits } from '../../contracts/fairness';
import { LatencyWindow } from './latency-window';
import { HISTORY_SECONDS, OfferedHistory, type SecondSample } from './offered-history';
import { replicaShare, TokenBucket, type TakeResult } from './token-bucket';

interface TenantFairnessState {
  limits: FairnessLimits;
  replicas: number;
  ingest: TokenBucket;
  queries: TokenBucket;
  admittedCalls: number;
  admittedUnits: number;
  shedCalls: number;
  shedUnits: number;
  latency: LatencyWindow;
  /** The last hour's offered, admitted and shed units per second, for the what-if: made at the first ingest (72 KB). */
  history: OfferedHistory | null;
}

export interface FairnessOptions {
  /** false turns admission control off (for demonstrating what fairness prevents); counters still count. */
  enabled: boolean;
  /** Live replicas sharing every tenant's limits (this one included). */
  liveReplicas: () => number;
  nowMs: () => number;
}

export const limitsOf = (tenant: { fairness: FairnessLimits | null }): FairnessLimits => tenant.fairness ?? defaultFairness;

/**
 * Per-tenant admission on this replica: a token bucket over ingest units and one over queries per
 * minute, each this replica's share of the tenant's limits. Limits are read from the tenant record
 * on every call, so a change applies live on every replica that sees it.
 */
export class FairnessRegistry {
  private readonly tenants = new Map<string, TenantFairnessState>();

  constructor(private readonly options: FairnessOptions) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  private state(tenant: { id: string; fairness: FairnessLimits | null }): TenantFairnessState {
    const limits = limitsOf(tenant);
    const replicas = Math.max(1, this.options.liveReplicas());
    const now = this.options.nowMs();
    const ingestShare = replicaShare({ ratePerSec: limits.ingest_rate_per_sec, burst: limits.ingest_burst }, replicas);
    const queryShare = replicaShare({ ratePerSec: limits.query_budget / 60, burst: limits.query_budget }, replicas);
    let state = this.tenants.get(tenant.id);
    if (state === undefined) {
      state = {
        limits,
        replicas,
        ingest: new TokenBucket(ingestShare.ratePerSec, ingestShare.burst, now),
        queries: new TokenBucket(queryShare.ratePerSec, queryShare.burst, now),
        admittedCalls: 0,
        admittedUnits: 0,
        shedCalls: 0,
        shedUnits: 0,
        latency: new LatencyWindow(),
        history: null,
      };
      this.tenants.set(tenant.id, state);
    } else if (replicas !== state.replicas || !sameLimits(limits, state.limits)) {
      state.ingest.reconfigure(ingestShare.ratePerSec, ingestShare.burst, now);
      state.queries.reconfigure(queryShare.ratePerSec, queryShare.burst, now);
      state.limits = limits;
      state.replicas = replicas;
    }
    return state;
  }

  /** Takes `units` of the tenant's ingest rate, all or none. */
  takeIngest(tenant: { id: string; fairness: FairnessLimits | null }, units: number): TakeResult {
    const state = this.state(tenant);
    const now = this.options.nowMs();
    historyOf(state).offer(now, units);
    if (!this.options.enabled) return { admitted: true };
    return state.ingest.take(units, now);
  }

  /** Whether the tenant could ingest one unit now (checked before a body is read). */
  ingestOpen(tenant: { id: string; fairness: FairnessLimits | null }): TakeResult {
    const state = this.state(tenant);
    if (!this.options.enabled) return { admitted: true };
    return state.ingest.peek(1, this.options.nowMs());
  }

  /** This replica's share of the tenant's ingest burst: the largest batch it can ever admit. */
  ingestBurst(tenant: { id: string; fairness: FairnessLimits | null }): number {
    return this.options.enabled ? this.state(tenant).ingest.capacity : Number.POSITIVE_INFINITY;
  }

  refundIngest(tenantId: string, units: number): void {
    this.tenants.get(tenantId)?.ingest.refund(units, this.options.nowMs());
  }

  /** One telemetry query against the tenant's per-minute budget. */
  takeQuery(tenant: { id: string; fairness: FairnessLimits | null }): TakeResult {
    const state = this.state(tenant);
    if (!this.options.enabled) return { admitted: true };
    return state.queries.take(1, this.options.nowMs());
  }

  recordAdmitted(tenant: { id: string; fairness: FairnessLimits | null }, units: number, latencyMs: number): void {
    const state = this.state(tenant);
    state.admittedCalls++;
    state.admittedUnits += units;
    state.latency.record(latencyMs);
    historyOf(state).admitted(this.options.nowMs(), units);
  }

  recordShed(tenant: { id: string; fairness: FairnessLimits | null }, units: number): void {
    const state = this.state(tenant);
    state.shedCalls++;
    state.shedUnits += units;
    historyOf(state).shed(this.options.nowMs(), units);
  }

  /** The tenant's last `seconds` of traffic on this replica, one sample per second; zeros for a tenant it has not seen. */
  recentTraffic(tenantId: string, seconds: number): SecondSample[] {
    const history = this.tenants.get(tenantId)?.history ?? null;
    const now = this.options.nowMs();
    return history === null ? quietSeconds(now, seconds) : history.window(now, seconds);
  }

  counters(tenantId: string, queueDepth: number): FairnessCounters {
    const state = this.tenants.get(tenantId);
    return {
      admitted_calls: state?.admittedCalls ?? 0,
      admitted_units: state?.admittedUnits ?? 0,
      shed_calls: state?.shedCalls ?? 0,
      shed_units: state?.shedUnits ?? 0,
      queue_depth: queueDepth,
      latency_p50_ms: state?.latency.percentile(50) ?? null,
      latency_p99_ms: state?.latency.percentile(99) ?? null,
    };
  }

  /** Tenants this replica has counters for. */
  known(): string[] {
    return [...this.tenants.keys()];
  }
}

function historyOf(state: TenantFairnessState): OfferedHistory {
  state.history ??= new OfferedHistory();
  return state.history;
}

/** `seconds` seconds of no traffic up to `nowMs`'s, for a tenant this replica has no history of. */
function quietSeconds(nowMs: number, seconds: number): SecondSample[] {
  const last = Math.floor(nowMs / 1000);
  const count = Math.max(0, Math.min(HISTORY_SECONDS, Math.floor(seconds)));
  return Array.from({ length: count }, (_, index) => ({ second: last - count + 1 + index, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 }));
}

function sameLimits(a: FairnessLimits, b: FairnessLimits): boolean {
  return a.ingest_rate_per_sec === b.ingest_rate_per_sec && a.ingest_burst === b.ingest_burst && a.query_budget === b.query_budget;
}
