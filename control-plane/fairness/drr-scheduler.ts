/**
 * Deficit round robin over per-tenant queues (Shreedhar & Varghese): each round a tenant's deficit
 * grows by the quantum and it may send queued work up to its deficit, so every backlogged tenant
 * gets an equal share of the writer whatever its arrival rate, and a burst of one tenant cannot
 * delay another's writes by more than one round. Costs are ingest units.
 */
interface Flow<T> {
  queue: { item: T; cost: number }[];
  head: number;
  deficit: number;
  queuedCost: number;
}

export class DeficitRoundRobin<T> {
  private readonly flows = new Map<string, Flow<T>>();
  /** Tenants with queued work, in round-robin order. */
  private readonly active: string[] = [];
  private totalCost = 0;

  constructor(private readonly quantum: number) {
    if (!(quantum > 0)) {
      throw new RangeError('quantum must be positive');
    }
  }

  enqueue(tenant: string, item: T, cost: number): void {
    let flow = this.flows.get(tenant);
    if (flow === undefined) {
      flow = { queue: [], head: 0, deficit: 0, queuedCost: 0 };
      this.flows.set(tenant, flow);
    }
    if (flow.head === flow.queue.length) {
      this.active.push(tenant);
    }
    flow.queue.push({ item, cost });
    flow.queuedCost += cost;
    this.totalCost += cost;
  }

  /** Queued cost in all (what the writer has not taken yet). */
  get queued(): number {
    return this.totalCost;
  }

  /** Whether anything is queued, costless items included (an empty batch still needs its answer). */
  get hasWork(): boolean {
    return this.active.length > 0;
  }

  /** Whether any tenant outside `tenants` has work queued. */
  hasWorkOutside(tenants: ReadonlySet<string>): boolean {
    return this.active.some((tenant) => !tenants.has(tenant) && (this.flows.get(tenant)?.queuedCost ?? 0) > 0);
  }

  depth(tenant: string): number {
    const flow = this.flows.get(tenant);
    return flow ? flow.queue.length - flow.head : 0;
  }

  queuedCostOf(tenant: string): number {
    return this.flows.get(tenant)?.queuedCost ?? 0;
  }

  /** Takes back the newest queued item of a tenant (to shed it), or null when it has none queued. */
  popLast(tenant: string): { item: T; cost: number } | null {
    const flow = this.flows.get(tenant);
    if (flow === undefined || flow.head === flow.queue.length) {
      return null;
    }
    const last = flow.queue.pop();
    if (last === undefined) {
      return null;
    }
    flow.queuedCost -= last.cost;
    this.totalCost -= last.cost;
    if (flow.head === flow.queue.length) {
      flow.queue = [];
      flow.head = 0;
      flow.deficit = 0;
      const at = this.active.indexOf(tenant);
      if (at >= 0) this.active.splice(at, 1);
    }
    return last;
  }

  /** The tenant holding the largest share of queued work: the one to shed first when the writer is saturated. */
  largestShare(): string | null {
    let best: string | null = null;
    let bestCost = 0;
    for (const tenant of this.active) {
      const cost = this.queuedCostOf(tenant);
      if (cost > bestCost) {
        best = tenant;
        bestCost = cost;
      }
    }
    return best;
  }

  /**
   * Takes the next batch for the writer, up to `maxCost` units, fairly across tenants. An item
   * larger than `maxCost` is taken alone (never starved).
   */
  nextBatch(maxCost: number): { tenant: string; item: T; cost: number }[] {
    const batch: { tenant: string; item: T; cost: number }[] = [];
    let budget = maxCost;
    let idleRounds = 0;
    // Rounds go on until something is taken (each adds a quantum to every deficit, so a batch
    // larger than the quantum is not left for a later call), then stop after a round that takes nothing.
    while (this.active.length > 0 && budget > 0 && (batch.length === 0 || idleRounds < this.active.length + 1)) {
      const tenant = this.active[0] ?? '';
      const flow = this.flows.get(tenant);
      if (flow === undefined) {
        this.active.shift();
        continue;
      }
      flow.deficit += this.quantum;
      let sent = false;
      while (flow.head < flow.queue.length) {
        const next = flow.queue[flow.head];
        if (next === undefined || next.cost > flow.deficit || (next.cost > budget && batch.length > 0)) {
          break;
        }
        flow.head++;
        flow.deficit -= next.cost;
        flow.queuedCost -= next.cost;
        this.totalCost -= next.cost;
        budget -= next.cost;
        batch.push({ tenant, item: next.item, cost: next.cost });
        sent = true;
      }
      this.active.shift();
      if (flow.head === flow.queue.length) {
        // An emptied queue keeps no credit (DRR): idle tenants cannot save up a burst.
        flow.queue = [];
        flow.head = 0;
        flow.deficit = 0;
      } else {
        this.active.push(tenant);
      }
      idleRounds = sent ? 0 : idleRounds + 1;
    }
    return batch;
  }
}
