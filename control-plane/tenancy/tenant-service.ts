import type { FairnessLimits } from '../../contracts/fairness';
import { limitsOf } from '../fairness/fairness-registry';
import { randomUUID } from 'node:crypto';
import { SLUG_PATTERN, Uuid } from '../../contracts/common';
import type { LicensePayload } from '../../contracts/license';
import { defaultQuotas, type CreateTenantRequest, type Quotas, type Tenant, type TenantState } from '../../contracts/tenants';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { ApiError } from '../errors';
import type { Storage, TenantRecord, WriteTx } from '../storage/types';
import { newTenantDataKey } from './tenant-keys';
import { endOpenRequests } from '../breakglass/break-glass-ledger';
import { decodeCreatedCursor, encodeCreatedCursor } from '../created-cursor';

/** Slugs kept for the product's own host names and routes. */
const reservedSlugs = new Set(['admin', 'api', 'auth', 'console', 'login', 'provider', 'scim', 'static', 'status', 'www']);

export interface TenantServiceDeps {
  storage: Storage;
  deploymentKey: Buffer;
  license: () => LicensePayload;
  clock: () => Date;
}

export interface Actor {
  /** `operator:<username>`, `tenant:<id>:<subject>` or `system:<what>`. */
  label: string;
}

function toTenant(record: TenantRecord, counts: Tenant['counts']): Tenant {
  return {
    id: record.id,
    slug: record.slug,
    name: record.name,
    isolation_model: record.isolationModel,
    residency: record.residency,
    plan: record.plan,
    contact_email: record.contactEmail,
    state: record.state,
    created_at: record.createdAt,
    counts,
    quotas: record.quotas,
    handed_over_at: record.handedOverAt,
  };
}

/** Tenant lifecycle on the provider plane: every change and its ledger entries in one transaction. */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  private now(): string {
    return this.deps.clock().toISOString();
  }

  /** Resolves `{tenant}` (id or slug) to a tenant, or 404. */
  async resolve(ref: string): Promise<TenantRecord> {
    const record = Uuid.safeParse(ref).success ? await this.deps.storage.tenants.byId(ref.toLowerCase()) : SLUG_PATTERN.test(ref) ? await this.deps.storage.tenants.bySlug(ref) : null;
    if (record === null) {
      throw new ApiError(404, 'not_found', `No tenant ${JSON.stringify(ref.slice(0, 80))}.`);
    }
    return record;
  }

  /** Tenants that count against the license band: every state but deleted. */
  countLive(): Promise<number> {
    return this.deps.storage.tenants.countLive();
  }

  async view(record: TenantRecord): Promise<Tenant> {
    const counts = record.state === 'deleted' ? { agents: 0, users: 0, tests: 0 } : await this.deps.storage.tenantScope(record).counts();
    return toTenant(record, counts);
  }

  async create(input: CreateTenantRequest, actor: Actor): Promise<Tenant> {
    if (!SLUG_PATTERN.test(input.slug) || reservedSlugs.has(input.slug)) {
      throw new ApiError(400, 'invalid_slug', reservedSlugs.has(input.slug) ? `The slug ${input.slug} is reserved.` : 'A slug is a lowercase DNS label of 3-63 characters: a-z, 0-9 and inner dashes.', {
        slug: input.slug.slice(0, 80),
      });
    }
    const license = this.deps.license();
    if (input.isolation_model !== 'pooled' && license.tier !== 'isolation') {
      throw new ApiError(403, 'tier_required', `The ${input.isolation_model} isolation model needs an isolation-tier license; this license is ${license.tier}.`, {
        required_tier: 'isolation',
        tier: license.tier,
      });
    }
    const id = randomUUID();
    const at = this.now();
    const record: TenantRecord = {
      id,
      slug: input.slug,
      name: input.name,
      isolationModel: input.isolation_model,
      residency: input.residency ?? null,
      plan: input.plan ?? null,
      contactEmail: input.contact_email ?? null,
      state: 'active',
      quotas: { ...defaultQuotas, ...input.quotas },
      fairness: null,
      createdAt: at,
      updatedAt: at,
      handedOverAt: null,
    };
    const { wrapped } = newTenantDataKey(this.deps.deploymentKey, id);
    // The tenant's own stores exist (created and migrated) before the row; if the row cannot be
    // committed they are removed again, so no half tenant is ever left.
    const removeStores = await this.deps.storage.createTenantStores(id, record.isolationModel);
    try {
      await this.deps.storage.transaction(async (tx) => {
        const used = await tx.countLiveTenants();
        if (used >= license.tenant_band) {
          throw new ApiError(409, 'tenant_band_exhausted', `The license allows ${license.tenant_band} tenants and all are in use; existing tenants are unaffected.`, {
            tenant_band: license.tenant_band,
            tenants_used: used,
          });
        }
        if ((await tx.tenantBySlug(record.slug)) !== null) {
          throw new ApiError(409, 'slug_taken', `The slug ${record.slug} is taken.`, { slug: record.slug });
        }
        await tx.insertTenant(record, wrapped);
        await this.ledgerBoth(tx, record, actor, 'TENANT_CREATED', {
          slug: record.slug,
          name: record.name,
          isolation_model: record.isolationModel,
          residency: record.residency,
          quotas: record.quotas,
        });
      });
    } catch (error) {
      await removeStores();
      throw error;
    }
    return this.view(record);
  }

  async list(options: { state?: TenantState | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: Tenant[]; next_cursor: string | null }> {
    const after = options.cursor === undefined ? undefined : decodeCreatedCursor(options.cursor);
    const records = await this.deps.storage.tenants.list({ state: options.state, after, limit: options.limit + 1 });
    const page = records.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: await Promise.all(page.map((record) => this.view(record))),
      next_cursor: records.length > options.limit && last !== undefined ? encodeCreatedCursor(last) : null,
    };
  }

  async update(ref: string, change: { name?: string | undefined; plan?: string | null | undefined; contact_email?: string | null | undefined }, actor: Actor): Promise<Tenant> {
    const record = this.writable(await this.resolve(ref));
    const changed: Record<string, unknown> = {};
    if (change.name !== undefined && change.name !== record.name) changed.name = change.name;
    if (change.plan !== undefined && change.plan !== record.plan) changed.plan = change.plan;
    if (change.contact_email !== undefined && change.contact_email !== record.contactEmail) changed.contact_email = change.contact_email;
    if (Object.keys(changed).length === 0) {
      return this.view(record);
    }
    const updatedAt = this.now();
    await this.deps.storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { name: change.name, plan: change.plan, contactEmail: change.contact_email, updatedAt });
      await this.ledgerBoth(tx, record, actor, 'TENANT_UPDATED', { changed });
    });
    return this.view(await this.resolve(record.id));
  }

  async setState(ref: string, target: 'suspended' | 'active', reason: string, actor: Actor): Promise<Tenant> {
    const record = this.writable(await this.resolve(ref));
    const from = target === 'suspended' ? 'active' : 'suspended';
    if (record.state !== from) {
      const verb = target === 'suspended' ? 'suspended' : 'resumed';
      throw new ApiError(409, 'conflict', `The tenant is ${record.state}; only ${from === 'active' ? 'an active' : 'a suspended'} tenant can be ${verb}.`, { state: record.state });
    }
    await this.deps.storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { state: target, updatedAt: this.now() });
      await this.ledgerBoth(tx, record, actor, target === 'suspended' ? 'TENANT_SUSPENDED' : 'TENANT_RESUMED', { reason });
      if (target === 'suspended') {
        // Suspension ends every break-glass grant and request for good: resuming does not revive them.
        await endOpenRequests(tx, record.id, 'tenant_suspended', actor.label, this.deps.clock());
      }
    });
    return this.view(await this.resolve(record.id));
  }

  /** State `deleted`; the data key is destroyed (crypto-shred) and the tenant's data removed; the ledgers stay. */
  async delete(ref: string, actor: Actor): Promise<void> {
    const record = this.writable(await this.resolve(ref));
    await this.deps.storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { state: 'deleted', updatedAt: this.now() });
      await tx.destroyTenantKey(record.id);
      // Billing counts outlive the tenant: copied to the shared store before its data goes.
      await tx.retainUsage(record, this.now());
      await tx.purgeTenantData(record);
      await this.ledgerBoth(tx, record, actor, 'TENANT_DELETED', { slug: record.slug, crypto_shredded: true });
      // The requests stay (with the ledgers, they are the record of who asked for what); none stays open.
      await endOpenRequests(tx, record.id, 'tenant_deleted', actor.label, this.deps.clock());
    });
    // After the commit: the key is already gone, so the files are unreadable even if this step is interrupted.
    await this.deps.storage.removeTenantStores(record.id);
    await this.deps.storage.scrub();
  }

  async quotas(ref: string): Promise<Quotas> {
    return (await this.resolve(ref)).quotas;
  }

  /** Lowering a quota never deletes anything; it only stops new creations past it. */
  async setQuotas(ref: string, quotas: Quotas, actor: Actor): Promise<Quotas> {
    const record = this.writable(await this.resolve(ref));
    await this.deps.storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { quotas, updatedAt: this.now() });
      await this.ledgerBoth(tx, record, actor, 'QUOTA_CHANGED', { from: record.quotas, to: quotas });
    });
    return quotas;
  }

  /** New fairness limits, live on every replica from the next request; ledgered in both ledgers. */
  async setFairness(ref: string, limits: FairnessLimits, actor: Actor): Promise<TenantRecord> {
    const record = this.writable(await this.resolve(ref));
    const updatedAt = this.now();
    await this.deps.storage.transaction(async (tx) => {
      await tx.updateTenant(record.id, { fairness: limits, updatedAt });
      await this.ledgerBoth(tx, record, actor, 'FAIRNESS_CHANGED', { from: limitsOf(record), to: limits });
    });
    return { ...record, fairness: limits, updatedAt };
  }

  private writable(record: TenantRecord): TenantRecord {
    if (record.state === 'deleted') {
      throw new ApiError(409, 'tenant_deleted', 'The tenant is deleted; its data key is destroyed and it cannot change.', { tenant_id: record.id });
    }
    return record;
  }

  private async ledgerBoth(tx: WriteTx, record: TenantRecord, actor: Actor, eventType: string, details: Record<string, unknown>): Promise<void> {
    const at = this.now();
    await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType, tenantId: record.id, details }, at);
    await tx.appendLedger(tenantLedger(record.id), { actor: actor.label, eventType, tenantId: record.id, details }, at);
  }
}
