import { describe, expect, it } from 'vitest';
import type { ProbeTestRecord, Storage, TenantRef } from '../storage/types';
import { OwnedTests } from './owned-tests';

const tenant: TenantRef = { id: 't-1', isolationModel: 'pooled' };

/** A store whose tests can change under the cache, counting its reads. */
function store(initial: string[]) {
  const state = { ids: [...initial], reads: 0 };
  const storage = {
    tenantScope: () => ({
      probeTests: () => {
        state.reads++;
        return Promise.resolve(state.ids.map((id) => ({ id }) as ProbeTestRecord));
      },
    }),
  } as unknown as Storage;
  return { state, storage };
}

describe('OwnedTests', () => {
  it("answers the ids a tenant does not own, reading its tests once while they are fresh", async () => {
    const { state, storage } = store(['a', 'b']);
    let now = 0;
    const owned = new OwnedTests(storage, () => now);
    expect(await owned.unknown(tenant, ['a', 'b', 'a'])).toEqual([]);
    expect(await owned.unknown(tenant, ['a', 'x', 'x', 'y'])).toEqual(['x', 'y']);
    expect(state.reads).toBe(1);
    // A stream of unknown ids reloads at most once a second.
    now = 500;
    await owned.unknown(tenant, ['z']);
    expect(state.reads).toBe(1);
    now = 1_500;
    state.ids.push('z');
    expect(await owned.unknown(tenant, ['z'])).toEqual([]);
    expect(state.reads).toBe(2);
  });

  it('forgets on a change here, and refreshes after 30 s for changes made elsewhere', async () => {
    const { state, storage } = store(['a']);
    let now = 0;
    const owned = new OwnedTests(storage, () => now);
    expect(await owned.unknown(tenant, ['a'])).toEqual([]);
    state.ids = [];
    expect(await owned.unknown(tenant, ['a'])).toEqual([]);
    owned.forget(tenant.id);
    expect(await owned.unknown(tenant, ['a'])).toEqual(['a']);
    state.ids = ['a'];
    now = 31_000;
    expect(await owned.unknown(tenant, ['a'])).toEqual([]);
  });

  it('shares one read between concurrent batches of a tenant', async () => {
    const { state, storage } = store(['a']);
    const owned = new OwnedTests(storage, () => 0);
    await Promise.all(Array.from({ length: 10 }, () => owned.unknown(tenant, ['a'])));
    expect(state.reads).toBe(1);
  });
});
