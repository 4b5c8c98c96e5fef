import { describe, expect, it } from 'vitest';
import type { TelemetryBatchWrite, TelemetryStore } from '../storage/types';
import { IngestWriter, WriterSaturatedError } from './ingest-writer';

/** A store whose writes wait until released, so the queue behind a busy writer can be observed. */
class GatedStore {
  readonly writes: string[][] = [];
  private gates: (() => void)[] = [];
  gated = false;
  fail = false;

  /** Lanes as a store names them: here every pooled tenant shares one, unless put in a cell of its own. */
  readonly cells = new Map<string, string>();

  writeLane(tenant: TelemetryBatchWrite['tenant']): string {
    return tenant.isolationModel === 'pooled' ? (this.cells.get(tenant.id) ?? 'pooled') : `own:${tenant.id}`;
  }

  writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>> {
    this.writes.push(batches.map((batch) => `${batch.tenant.id}:${batch.batchId}`));
    if (this.fail) return Promise.reject(new Error('disk full'));
    if (!this.gated) return Promise.resolve(new Set(batches.filter((batch) => batch.batchId.startsWith('dup')).map((batch) => `${batch.tenant.id}/${batch.batchId}`)));
    return new Promise((resolve) => this.gates.push(() => resolve(new Set())));
  }

  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

const batch = (tenant: string, id: string): TelemetryBatchWrite => ({
  tenant: { id: tenant, isolationModel: 'pooled' },
  batchId: id,
  agentId: 'agent',
  receivedAt: '2026-12-01T00:00:00.000Z',
  testIds: [],
  ts: [],
  latencyMs: [],
  ok: [],
  flowCount: 0,
  bytes: 0,
  sealed: null,
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function writer(store: GatedStore, options: { fair?: boolean; maxQueuedUnits?: number; lingerMs?: number } = {}) {
  return new IngestWriter(store as unknown as TelemetryStore, {
    fair: options.fair ?? true,
    maxQueuedUnits: options.maxQueuedUnits ?? 10_000,
    maxUnitsPerWrite: 1000,
    quantum: 100,
    lingerMs: options.lingerMs ?? 0,
  });
}

/** Three batches in one write; one arrives during it, another 10 ms after it: how many writes in all? */
async function writesForStragglers(lingerMs: number): Promise<string[][]> {
  const store = new GatedStore();
  store.gated = true;
  const w = writer(store, { lingerMs });
  const first = [w.submit(batch('a', 'a1'), 100), w.submit(batch('b', 'b1'), 100), w.submit(batch('c', 'c1'), 100)];
  await tick();
  const during = w.submit(batch('a', 'a2'), 100);
  store.gated = false;
  store.release();
  await Promise.all(first);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const after = w.submit(batch('b', 'b2'), 100);
  await Promise.all([during, after]);
  return store.writes;
}

describe('IngestWriter', () => {
  it('writes batches that arrive together in one transaction, and reports duplicates', async () => {
    const store = new GatedStore();
    const w = writer(store);
    const results = await Promise.all([w.submit(batch('a', 'b1'), 10), w.submit(batch('b', 'dup-1'), 10), w.submit(batch('a', 'b2'), 10)]);
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]?.toSorted()).toEqual(['a:b1', 'a:b2', 'b:dup-1']);
    expect(results.map((result) => result.duplicate)).toEqual([false, true, false]);
  });

  it('answers an empty batch (no units) like any other: written, never left waiting', async () => {
    const store = new GatedStore();
    const w = writer(store);
    const answer = await Promise.race([w.submit(batch('a', 'empty'), 0), new Promise((resolve) => setTimeout(() => resolve('stuck'), 1000))]);
    expect(answer).toEqual({ duplicate: false });
    expect(store.writes).toEqual([['a:empty']]);
    await w.idle();
  });

  it("puts a quiet tenant's batch in the next write, ahead of a flood queued before it", async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store);
    const pending = [w.submit(batch('noisy', 'n0'), 100)];
    await tick();
    for (let i = 1; i <= 30; i++) pending.push(w.submit(batch('noisy', `n${i}`), 100));
    // q0 is written beside the write in flight (see the next test); q1 is queued.
    pending.push(w.submit(batch('quiet', 'q0'), 100), w.submit(batch('quiet', 'q1'), 100));
    expect(w.queueDepth('noisy')).toBe(31);
    store.gated = false;
    store.release();
    await Promise.all(pending);
    expect(store.writes[1]).toEqual(['quiet:q0']);
    const second = store.writes[2] ?? [];
    expect(second).toContain('quiet:q1');
    expect(second.length).toBeLessThanOrEqual(10);
    expect(w.queueDepth('noisy')).toBe(0);
  });

  it('first come, first served when fairness is off: the quiet batch waits behind the whole flood', async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store, { fair: false });
    const pending = [w.submit(batch('noisy', 'n0'), 100)];
    await tick();
    for (let i = 1; i <= 30; i++) pending.push(w.submit(batch('noisy', `n${i}`), 100));
    pending.push(w.submit(batch('quiet', 'q1'), 100));
    store.gated = false;
    store.release();
    await Promise.all(pending);
    expect(store.writes.findIndex((write) => write.includes('quiet:q1'))).toBe(store.writes.length - 1);
    expect(store.writes.length).toBeGreaterThan(3);
  });

  it('when saturated, sheds the newest batch of the tenant holding the largest share, and refuses that tenant outright', async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store, { maxQueuedUnits: 500 });
    const inFlight = w.submit(batch('noisy', 'n0'), 100);
    await tick();
    const queued = [1, 2, 3, 4, 5].map((i) => w.submit(batch('noisy', `n${i}`), 100));
    const outcomes = queued.map((promise) => promise.then(() => 'stored', (error: unknown) => (error instanceof WriterSaturatedError ? 'shed' : 'other')));
    // q0 is written beside the write in flight, not queued; q1 needs room in the queue.
    const quiet = Promise.all([w.submit(batch('quiet', 'q0'), 100), w.submit(batch('quiet', 'q1'), 100)]);
    expect(() => w.submit(batch('noisy', 'n6'), 100)).toThrow(WriterSaturatedError);
    store.gated = false;
    store.release();
    await Promise.all([inFlight, quiet]);
    expect(await Promise.all(outcomes)).toEqual(['stored', 'stored', 'stored', 'stored', 'shed']);
    expect(store.writes.flat()).toContain('quiet:q1');
    expect(store.writes.flat()).not.toContain('noisy:n5');
  });

  it('under load, lingers after a write when few batches arrived, so the next ones share one commit', async () => {
    const lingering = await writesForStragglers(100);
    expect(lingering).toHaveLength(2);
    expect(lingering[1]?.toSorted()).toEqual(['a:a2', 'b:b2']);
    // Without the linger each straggler costs a commit of its own.
    expect(await writesForStragglers(0)).toHaveLength(3);
  });

  it('never lingers for another tenant: a quiet batch queued behind a lone noisy commit is written at once', async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store, { lingerMs: 10_000 });
    const lone = w.submit(batch('noisy', 'n1'), 500);
    await tick();
    const quiet = w.submit(batch('quiet', 'q1'), 2);
    store.gated = false;
    store.release();
    await lone;
    // With a linger after the lone commit, the quiet batch would wait 10 s for its own.
    const outcome = await Promise.race([quiet.then(() => 'written'), new Promise((resolve) => setTimeout(() => resolve('lingered'), 5_000))]);
    expect(outcome).toBe('written');
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1']]);
  });

  it('cuts a linger short when another tenant\'s batch arrives; the tenants just written still share the next commit', async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store, { lingerMs: 10_000 });
    const first = [w.submit(batch('a', 'a1'), 100), w.submit(batch('b', 'b1'), 100)];
    await tick();
    store.gated = false;
    store.release();
    await Promise.all(first);
    // The lane now lingers for a and b; a's next batch joins the linger, quiet's ends it.
    const next = w.submit(batch('a', 'a2'), 100);
    await tick();
    const quiet = w.submit(batch('quiet', 'q1'), 2);
    const outcome = await Promise.race([Promise.all([next, quiet]).then(() => 'written'), new Promise((resolve) => setTimeout(() => resolve('lingered'), 5_000))]);
    expect(outcome).toBe('written');
    expect(store.writes).toEqual([['a:a1', 'b:b1'], ['a:a2', 'quiet:q1']]);
  });

  it("writes a sparse tenant's small batch beside the write in flight, one at a time; a tenant with work queued waits its turn", async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store);
    const noisy = [w.submit(batch('noisy', 'n1'), 100)];
    await tick();
    noisy.push(w.submit(batch('noisy', 'n2'), 100));
    // Quiet has nothing queued and is not in the write in flight: its batch goes to the store at once.
    const q1 = w.submit(batch('quiet', 'q1'), 10);
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1']]);
    // One such write at a time; the noisy tenant (in the write in flight), a batch over the quantum and
    // a tenant already queued all wait for the lane.
    const other = w.submit(batch('other', 'o1'), 10);
    const big = w.submit(batch('big', 'g1'), 101);
    expect(store.writes).toHaveLength(2);
    store.gated = false;
    store.release();
    await Promise.all([...noisy, q1, other, big]);
    expect(store.writes.slice(2).flat().toSorted()).toEqual(['big:g1', 'noisy:n2', 'other:o1']);
    await w.idle();
    expect(w.queuedUnits).toBe(0);
    expect(w.queueDepth('quiet')).toBe(0);
  });

  it('never writes beside the write in flight with fairness off', async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store, { fair: false });
    const noisy = w.submit(batch('noisy', 'n1'), 100);
    await tick();
    const quiet = w.submit(batch('quiet', 'q1'), 10);
    expect(store.writes).toEqual([['noisy:n1']]);
    store.gated = false;
    store.release();
    await Promise.all([noisy, quiet]);
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1']]);
  });

  it("gives each store its own lane: a tenant with its own store is written while the pool's commit is in flight", async () => {
    const store = new GatedStore();
    store.gated = true;
    const w = writer(store);
    const pooledNoisy = w.submit(batch('noisy', 'n1'), 100);
    await tick();
    // Another pooled tenant with work queued shares the pool's lane: it waits for the write in flight.
    const pooledQuiet = [w.submit(batch('quiet', 'q1'), 10), w.submit(batch('quiet', 'q2'), 10)];
    store.gated = false;
    const silo = await w.submit({ ...batch('silo', 's1'), tenant: { id: 'silo', isolationModel: 'siloed' } }, 10);
    expect(silo).toEqual({ duplicate: false });
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1'], ['silo:s1']]);
    store.release();
    await Promise.all([pooledNoisy, ...pooledQuiet]);
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1'], ['silo:s1'], ['quiet:q2']]);
    await w.idle();
    expect(w.queuedUnits).toBe(0);
  });

  it('writes the lanes the store names side by side: pooled tenants in different cells never queue behind each other', async () => {
    const store = new GatedStore();
    store.cells.set('noisy', 'cell:1');
    store.cells.set('quiet', 'cell:2');
    store.gated = true;
    const w = writer(store);
    const noisy = [w.submit(batch('noisy', 'n1'), 100), w.submit(batch('noisy', 'n2'), 100)];
    await tick();
    // Two batches at once, so none is interjected beside a write: only the separate lane lets them through.
    const quiet = [w.submit(batch('quiet', 'q1'), 10), w.submit(batch('quiet', 'q2'), 10)];
    await tick();
    // Each lane drains its own queue while the other's write is still in flight.
    expect(store.writes).toEqual([
      ['noisy:n1', 'noisy:n2'],
      ['quiet:q1', 'quiet:q2'],
    ]);
    store.gated = false;
    store.release();
    await Promise.all([...noisy, ...quiet]);
    expect(store.writes.flat().sort()).toEqual(['noisy:n1', 'noisy:n2', 'quiet:q1', 'quiet:q2']);
    await w.idle();
  });

  it('with fairness off, writes every lane in one first-come queue (what fairness prevents)', async () => {
    const store = new GatedStore();
    store.cells.set('noisy', 'cell:1');
    store.cells.set('quiet', 'cell:2');
    store.gated = true;
    const w = writer(store, { fair: false });
    // What operators are shown as each tenant's lane (see fairness-routes.ts).
    expect([w.laneOf({ id: 'noisy', isolationModel: 'pooled' }), w.laneOf({ id: 'quiet', isolationModel: 'pooled' })]).toEqual(['all', 'all']);
    expect(writer(store).laneOf({ id: 'quiet', isolationModel: 'pooled' })).toBe('cell:2');
    const noisy = w.submit(batch('noisy', 'n1'), 100);
    await tick();
    const quiet = w.submit(batch('quiet', 'q1'), 10);
    await tick();
    expect(store.writes).toEqual([['noisy:n1']]);
    store.gated = false;
    store.release();
    await Promise.all([noisy, quiet]);
    expect(store.writes).toEqual([['noisy:n1'], ['quiet:q1']]);
  });

  it('rejects the batches of a failed write (never acknowledged) and keeps serving', async () => {
    const store = new GatedStore();
    const w = writer(store);
    store.fail = true;
    await expect(w.submit(batch('a', 'x'), 1)).rejects.toThrow('disk full');
    store.fail = false;
    await expect(w.submit(batch('a', 'y'), 1)).resolves.toEqual({ duplicate: false });
    await w.idle();
    expect(w.queuedUnits).toBe(0);
  });
});
