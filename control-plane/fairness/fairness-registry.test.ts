import { describe, expect, it } from 'vitest';
import { defaultFairness } from '../../contracts/fairness';
import { FairnessRegistry } from './fairness-registry';

function registry(options: { enabled?: boolean; replicas?: number } = {}) {
  const clock = { ms: 0, replicas: options.replicas ?? 1 };
  const fairness = new FairnessRegistry({ enabled: options.enabled ?? true, liveReplicas: () => clock.replicas, nowMs: () => clock.ms });
  return { fairness, clock };
}

const tenant = (fairness: { ingest_rate_per_sec: number; ingest_burst: number; query_budget: number } | null = null) => ({ id: 't1', fairness });

describe('FairnessRegistry', () => {
  it('uses the defaults until limits are set, and applies changed limits on the next call', () => {
    const { fairness } = registry();
    expect(fairness.ingestBurst(tenant())).toBe(defaultFairness.ingest_burst);
    expect(fairness.ingestBurst(tenant({ ingest_rate_per_sec: 10, ingest_burst: 20, query_budget: 5 }))).toBe(20);
  });

  it("splits a tenant's rate across live replicas, and re-splits when the count changes", () => {
    const { fairness, clock } = registry({ replicas: 2 });
    const limits = tenant({ ingest_rate_per_sec: 100, ingest_burst: 100, query_budget: 60 });
    expect(fairness.ingestBurst(limits)).toBe(50);
    expect(fairness.takeIngest(limits, 50)).toEqual({ admitted: true });
    expect(fairness.takeIngest(limits, 1)).toMatchObject({ admitted: false, retryAfterMs: 20 });
    clock.replicas = 1;
    clock.ms = 1000;
    expect(fairness.ingestBurst(limits)).toBe(100);
  });

  it('turns admission off when disabled but keeps counting', () => {
    const { fairness } = registry({ enabled: false });
    const limits = tenant({ ingest_rate_per_sec: 1, ingest_burst: 1, query_budget: 1 });
    expect(fairness.takeIngest(limits, 1000)).toEqual({ admitted: true });
    expect(fairness.takeQuery(limits)).toEqual({ admitted: true });
    fairness.recordAdmitted(limits, 1000, 3);
    fairness.recordShed(limits, 5);
    expect(fairness.counters('t1', 2)).toEqual({ admitted_calls: 1, admitted_units: 1000, shed_calls: 1, shed_units: 5, queue_depth: 2, latency_p50_ms: 3, latency_p99_ms: 3 });
  });

  it('bounds queries by the per-minute budget', () => {
    const { fairness, clock } = registry();
    const limits = tenant({ ingest_rate_per_sec: 1, ingest_burst: 1, query_budget: 2 });
    expect(fairness.takeQuery(limits).admitted).toBe(true);
    expect(fairness.takeQuery(limits).admitted).toBe(true);
    expect(fairness.takeQuery(limits)).toMatchObject({ admitted: false, retryAfterMs: 30_000 });
    clock.ms = 30_000;
    expect(fairness.takeQuery(limits).admitted).toBe(true);
  });

  it('keeps each tenant’s offered, admitted and shed units per second for the what-if, refused takes included', () => {
    const { fairness, clock } = registry();
    const limits = tenant({ ingest_rate_per_sec: 100, ingest_burst: 100, query_budget: 60 });
    clock.ms = 5_000;
    expect(fairness.takeIngest(limits, 80)).toEqual({ admitted: true });
    fairness.recordAdmitted(limits, 80, 3);
    expect(fairness.takeIngest(limits, 80).admitted).toBe(false);
    fairness.recordShed(limits, 80);
    clock.ms = 6_500;
    expect(fairness.recentTraffic('t1', 3)).toEqual([
      { second: 4, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
      { second: 5, offered_units: 160, offered_takes: 2, admitted_units: 80, shed_units: 80 },
      { second: 6, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
    ]);
    // A tenant this replica never saw: quiet seconds, and nothing allocated for it.
    expect(fairness.recentTraffic('other', 2)).toEqual([
      { second: 5, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
      { second: 6, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 },
    ]);
    expect(fairness.known()).toEqual(['t1']);
  });
});

