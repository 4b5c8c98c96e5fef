import type { Storage, TenantRef } from '../storage/types';

/** A tenant's test ids are read again after this long, so a test deleted on another replica stops being accepted. */
const REFRESH_MS = 30_000;
/** An unknown id reloads the list at most this often per tenant, so a stream of bad ids costs no reads. */
const MISS_RELOAD_MS = 1_000;

interface Entry {
  ids: ReadonlySet<string>;
  loadedAt: number;
}

/**
 * Which test ids each tenant owns, for ingest: an agent may only report results for its own
 * tenant's tests (another tenant's id would be stored in its own store and read back as its own).
 * Kept in memory per tenant and refreshed: checking a batch costs a set lookup per result.
 */
export class OwnedTests {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly storage: Storage,
    private readonly nowMs: () => number,
  ) {}

  /** The ids among `testIds` that the tenant does not own (empty when it owns them all). */
  async unknown(tenant: TenantRef, testIds: Iterable<string>): Promise<string[]> {
    const now = this.nowMs();
    let entry = this.entries.get(tenant.id);
    if (entry === undefined || now - entry.loadedAt > REFRESH_MS) entry = await this.load(tenant);
    let missing = missingFrom(entry.ids, testIds);
    if (missing.length > 0 && now - entry.loadedAt > MISS_RELOAD_MS) {
      entry = await this.load(tenant);
      missing = missingFrom(entry.ids, missing);
    }
    return missing;
  }

  /** Forgets a tenant's list (its tests changed here): the next batch reads it again. */
  forget(tenantId: string): void {
    this.entries.delete(tenantId);
  }

  private load(tenant: TenantRef): Promise<Entry> {
    let pending = this.loading.get(tenant.id);
    if (pending === undefined) {
      pending = this.storage
        .tenantScope(tenant)
        .probeTests()
        .then((tests) => {
          const entry = { ids: new Set(tests.map((test) => test.id)), loadedAt: this.nowMs() };
          this.entries.set(tenant.id, entry);
          return entry;
        })
        .finally(() => this.loading.delete(tenant.id));
      this.loading.set(tenant.id, pending);
    }
    return pending;
  }
}

function missingFrom(owned: ReadonlySet<string>, testIds: Iterable<string>): string[] {
  const missing = new Set<string>();
  for (const id of testIds) if (!owned.has(id)) missing.add(id);
  return [...missing];
}
