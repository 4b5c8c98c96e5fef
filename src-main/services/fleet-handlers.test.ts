import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';

// The provider-wide screens' channels through the real IPC router and ConsoleService. (A
// PostgreSQL deployment's several replicas are covered by the replica registry's own tests.)

describe('provider-wide screens against a real control plane (SQLite)', () => {
  let c: ConsoleRouter;

  beforeAll(async () => {
    c = await consoleRouter();
    await c.result('tenants:create', { slug: 'acme', name: 'Acme' });
    await c.result('tenants:create', { slug: 'globex', name: 'Globex' });
  }, 120_000);

  afterAll(async () => {
    await c.close();
  });

  it("lists every live tenant's fairness counters and write lane, a page at a time", async () => {
    const all = await c.result<{ items: { slug: string; write_lane: string; admitted_units: number; shed_units: number }[]; next_cursor: string | null }>('fairness:overview', {});
    expect(all.items.map((item) => item.slug).toSorted()).toEqual(['acme', 'globex']);
    expect(all.items.every((item) => item.write_lane !== '' && item.admitted_units === 0 && item.shed_units === 0)).toBe(true);
    const first = await c.result<{ items: unknown[]; next_cursor: string | null }>('fairness:overview', { limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await c.result<{ items: unknown[] }>('fairness:overview', { limit: 1, cursor: first.next_cursor });
    expect(second.items).toHaveLength(1);
    expect(await c.call('fairness:overview', { limit: 0 })).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('lists the replicas with the storage engine: one, itself, on SQLite', async () => {
    expect(await c.call('replicas:list', {})).toMatchObject({ result: { storage: 'sqlite', live_count: 1, items: [{ self: true }] } });
  });
});
