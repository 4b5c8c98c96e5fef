import { Pool } from 'undici';
import type { ControlPlaneTarget } from '../connection/api-client';
import { SeededRandom } from '../random';
import { addCounters, emptyCounters, SimAgent, type AgentBehaviour, type AgentCounters, type AgentMode } from './agent';
import { BatchFactory } from './batches';
import { encodeHistogram, latencyHistogram, mergeHistograms, type Histogram } from './latency';

/** One agent to run: which tenant it reports for, its token (bha_), its tenant's tests and its pace. */
export interface AgentSpec {
  tenant: string;
  name: string;
  token: string;
  testIds: string[];
  batch: { results: number; flows: number };
  behaviour: AgentBehaviour;
}

/** One tenant's agents, summed; latencies per window label, encoded to cross a process boundary. */
export interface TenantAgentsReport {
  tenant: string;
  counters: AgentCounters;
  /** Every acknowledged request's latency. */
  latency: string;
  /** By the window they were acknowledged in (e.g. solo, together): latencies and units. */
  windows: Record<string, { latency: string; units: number }>;
  agents: { name: string; counters: AgentCounters; refusal: string | null }[];
}

/**
 * Many agents in one process (async, not a thread each) over one keep-alive undici Pool to the
 * control plane. A window label set by the scenario tags every latency, so a quiet tenant's p99
 * can be read for the windows its neighbour was silent and for those it was flooding.
 */
export class AgentGroup {
  readonly pool: Pool;
  private readonly agents: { spec: AgentSpec; agent: SimAgent }[];
  private readonly windows = new Map<string, Map<string, { histogram: Histogram; units: number }>>();
  private window = 'warm-up';

  constructor(target: ControlPlaneTarget, specs: AgentSpec[], seed: number) {
    this.pool = new Pool(target.url, {
      connect: { ca: target.caPem, timeout: 10_000 },
      connections: Math.max(1, Math.min(specs.length, 256)),
      keepAliveTimeout: 60_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const random = new SeededRandom(seed).stream('agents');
    this.agents = specs.map((spec) => {
      const record = (micros: number, units: number) => {
        const window = this.windowOf(spec.tenant, this.window);
        window.histogram.recordValue(micros);
        window.units += units;
      };
      const factory = new BatchFactory(spec.name, spec.testIds, spec.batch);
      return { spec, agent: new SimAgent(spec.name, this.pool, spec.token, factory, spec.behaviour, random.stream(spec.name), record) };
    });
  }

  private windowOf(tenant: string, label: string): { histogram: Histogram; units: number } {
    let byWindow = this.windows.get(tenant);
    if (byWindow === undefined) {
      byWindow = new Map();
      this.windows.set(tenant, byWindow);
    }
    let window = byWindow.get(label);
    if (window === undefined) {
      window = { histogram: latencyHistogram(), units: 0 };
      byWindow.set(label, window);
    }
    return window;
  }

  /** Labels the latencies acknowledged from now on. */
  setWindow(label: string): void {
    this.window = label;
  }

  setMode(mode: AgentMode): void {
    for (const { agent } of this.agents) agent.setMode(mode);
  }

  /** Every agent sends what it still holds, honouring Retry-After, until done or `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    await Promise.all(this.agents.map(({ agent }) => agent.drain(deadline)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map(({ agent }) => agent.stop()));
    await this.pool.close();
  }

  /** Acknowledged and offered units so far, per tenant (for progress lines). */
  totals(): Map<string, AgentCounters> {
    const totals = new Map<string, AgentCounters>();
    for (const { spec, agent } of this.agents) {
      totals.set(spec.tenant, addCounters(totals.get(spec.tenant) ?? emptyCounters(), agent.snapshot()));
    }
    return totals;
  }

  report(): TenantAgentsReport[] {
    const tenants = [...new Set(this.agents.map(({ spec }) => spec.tenant))];
    return tenants.map((tenant) => {
      const mine = this.agents.filter(({ spec }) => spec.tenant === tenant);
      const counters = mine.reduce((sum, { agent }) => addCounters(sum, agent.snapshot()), emptyCounters());
      const windows = Object.fromEntries([...(this.windows.get(tenant) ?? [])].map(([label, window]) => [label, { latency: encodeHistogram(window.histogram), units: window.units }]));
      return {
        tenant,
        counters,
        latency: encodeHistogram(mergeHistograms(mine.map(({ agent }) => agent.latency))),
        windows,
        agents: mine.map(({ spec, agent }) => ({ name: spec.name, counters: agent.snapshot(), refusal: agent.lastRefusal })),
      };
    });
  }
}
