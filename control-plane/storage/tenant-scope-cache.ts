import type { TenantRef } from './types';

/** Tenant scopes kept at most by default. */
export const MAX_CACHED_SCOPES = 4096;

/**
 * The tenant scopes (TenantScope) of one storage, one per tenant and isolation model (both engines). Every
 * authenticated request asks for its tenant's scope, and building one makes a few dozen closures. A
 * scope holds no state of its own (each call reads the store), so one serves every request, and a
 * revocation or suspension written after it was made is read through it. Bounded: past the bound
 * it starts again.
 */
export class TenantScopeCache<Scope> {
  private readonly scopes = new Map<string, Scope>();

  constructor(
    private readonly build: (tenant: TenantRef) => Scope,
    private readonly max: number = MAX_CACHED_SCOPES,
  ) {}

  scopeOf(tenant: TenantRef): Scope {
    const key = `${tenant.id}/${tenant.isolationModel}`;
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      if (this.scopes.size >= this.max) this.scopes.clear();
      // Only the reference: a caller's larger record (a whole tenant row) is not kept alive by the scope.
      scope = this.build({ id: tenant.id, isolationModel: tenant.isolationModel });
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /** Scopes kept now. */
  get size(): number {
    return this.scopes.size;
  }
}
