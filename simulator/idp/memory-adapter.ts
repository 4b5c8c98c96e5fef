/** oidc-provider's storage adapter interface, kept in memory: a simulated IdP lives as long as its run. */
interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/**
 * A simulated IdP's store of sessions, interactions, codes and grants, expired by time. (Giving
 * oidc-provider an adapter of our own also keeps its "development-only adapter" warning, meant for
 * servers that must survive restarts, out of the run's output.)
 */
export function memoryAdapter(): new (name: string) => unknown {
  const items = new Map<string, Stored>();
  const grants = new Map<string, Set<string>>();
  const live = (key: string): Stored | undefined => {
    const item = items.get(key);
    if (item !== undefined && item.expiresAt <= Date.now()) {
      items.delete(key);
      return undefined;
    }
    return item;
  };
  return class MemoryAdapter {
    constructor(private readonly name: string) {}

    private key(id: string): string {
      return `${this.name}:${id}`;
    }

    upsert(id: string, payload: Record<string, unknown>, expiresIn: number): Promise<void> {
      const key = this.key(id);
      items.set(key, { payload, expiresAt: Date.now() + (expiresIn > 0 ? expiresIn * 1000 : 3_600_000) });
      const grantId = payload.grantId;
      if (typeof grantId === 'string') grants.set(grantId, (grants.get(grantId) ?? new Set()).add(key));
      if (typeof payload.uid === 'string') items.set(`${this.name}:uid:${payload.uid}`, { payload: { id }, expiresAt: Date.now() + expiresIn * 1000 });
      return Promise.resolve();
    }

    find(id: string): Promise<Record<string, unknown> | undefined> {
      return Promise.resolve(live(this.key(id))?.payload);
    }

    findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      const id = live(`${this.name}:uid:${uid}`)?.payload.id;
      return Promise.resolve(typeof id === 'string' ? live(this.key(id))?.payload : undefined);
    }

    findByUserCode(): Promise<undefined> {
      return Promise.resolve(undefined);
    }

    consume(id: string): Promise<void> {
      const item = live(this.key(id));
      if (item !== undefined) item.payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    }

    destroy(id: string): Promise<void> {
      items.delete(this.key(id));
      return Promise.resolve();
    }

    revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grants.get(grantId) ?? []) items.delete(key);
      grants.delete(grantId);
      return Promise.resolve();
    }
  };
}
