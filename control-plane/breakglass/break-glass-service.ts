import { randomUUID } from 'node:crypto';
import type { BreakGlassScope, BreakGlassState } from '../../contracts/break-glass';
import { hashToken, newToken } from '../auth/tokens';
import { ApiError } from '../errors';
import type { BreakGlassRecord, Storage, TenantRecord, WriteTx } from '../storage/types';
import { expireIfDue, ledgerBoth } from './break-glass-ledger';
import { activate, approve, deny, expiryDue, newRequest, revoke } from './break-glass-rules';
import { decodeCreatedCursor, encodeCreatedCursor } from '../created-cursor';

/** Approvals a request needs while the tenant has not chosen (one tenant admin). */
export const DEFAULT_REQUIRED_APPROVALS = 1;
/** Due requests expired per list call before it answers (the rest on the next call or when touched). */
const EXPIRE_BATCH = 500;

export interface BreakGlassServiceDeps {
  storage: Storage;
  clock: () => Date;
  /** `{tenant}` (id or slug) to a tenant, or 404. */
  resolveTenant: (ref: string) => Promise<TenantRecord>;
}

/** Who acts on the tenant side: the actor label, and the stable identity that counts as one approver. */
export interface TenantDecider {
  actor: string;
  approver: string;
  /** The operator who minted the credential (a tenant-admin token), or null. */
  mintedByOperator: string | null;
}

export interface Page {
  items: BreakGlassRecord[];
  next_cursor: string | null;
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `No break-glass request ${id}.`);
}

/**
 * Break-glass requests from opening to the end of their grant. Each change runs in one transaction
 * with the request row locked: time is applied first (an expired request is marked expired and
 * ledgered, and that is committed even when the change itself is then refused), then the change
 * and its entries in both ledgers.
 */
export class BreakGlassService {
  constructor(private readonly deps: BreakGlassServiceDeps) {}

  async open(input: { tenant: string; reason: string; scope: BreakGlassScope[]; duration_minutes: number }, operator: { id: string; username: string }, actor: string): Promise<BreakGlassRecord> {
    const tenant = await this.deps.resolveTenant(input.tenant);
    if (tenant.state !== 'active') {
      throw new ApiError(409, tenant.state === 'deleted' ? 'tenant_deleted' : 'tenant_suspended', `The tenant is ${tenant.state}; break-glass is for active tenants.`, { tenant_id: tenant.id });
    }
    const settings = await this.deps.storage.tenantScope(tenant).breakGlassSettings();
    const now = this.deps.clock();
    const record = newRequest({
      id: randomUUID(),
      tenantId: tenant.id,
      operator,
      reason: input.reason,
      scope: input.scope,
      durationMinutes: input.duration_minutes,
      requiredApprovals: settings?.requiredApprovals ?? DEFAULT_REQUIRED_APPROVALS,
      now,
    });
    await this.deps.storage.transaction(async (tx) => {
      await tx.insertBreakGlass(record);
      await ledgerBoth(
        tx,
        tenant.id,
        actor,
        'BREAK_GLASS_REQUESTED',
        {
          request_id: record.id,
          operator_id: operator.id,
          reason: record.reason,
          scope: record.scope,
          duration_minutes: record.durationMinutes,
          required_approvals: record.requiredApprovals,
          request_expires_at: record.requestExpiresAt,
        },
        record.createdAt,
      );
    });
    return record;
  }

  /** The provider's list across tenants (or of one), after expiring what is due. */
  async providerList(query: { tenant?: string | undefined; state?: BreakGlassState | undefined; limit: number; cursor?: string | undefined }): Promise<Page> {
    const after = query.cursor === undefined ? undefined : decodeCreatedCursor(query.cursor);
    const tenantId = query.tenant === undefined ? undefined : (await this.deps.resolveTenant(query.tenant)).id;
    await this.expireDue();
    return this.page(await this.deps.storage.breakGlass.list({ tenantId, state: query.state, after, limit: query.limit + 1 }), query.limit);
  }

  async providerGet(id: string): Promise<BreakGlassRecord> {
    const found = await this.deps.storage.breakGlass.byId(id);
    if (found === null) throw notFound(id);
    return this.settle(found);
  }

  async tenantList(tenant: TenantRecord, query: { state?: BreakGlassState | undefined; limit: number; cursor?: string | undefined }): Promise<Page> {
    const after = query.cursor === undefined ? undefined : decodeCreatedCursor(query.cursor);
    await this.deps.storage.transaction(async (tx) => {
      const now = this.deps.clock();
      for (const record of await tx.openBreakGlassForUpdate(tenant.id)) await expireIfDue(tx, record, now);
    });
    return this.page(await this.deps.storage.tenantScope(tenant).breakGlassRequests({ state: query.state, after, limit: query.limit + 1 }), query.limit);
  }

  async tenantGet(tenant: TenantRecord, id: string): Promise<BreakGlassRecord> {
    const found = await this.deps.storage.tenantScope(tenant).breakGlassRequest(id);
    if (found === null) throw notFound(id);
    return this.settle(found);
  }

  async approve(tenant: TenantRecord, id: string, decider: TenantDecider, body: { duration_minutes?: number | undefined; comment?: string | undefined }): Promise<BreakGlassRecord> {
    return this.change(tenant.id, id, async (tx, record, now) => {
      const at = now.toISOString();
      const approval = { approver: decider.approver, actor: decider.actor, at, durationMinutes: body.duration_minutes ?? null, comment: body.comment ?? null };
      const next = approve(record, { approval, mintedByOperator: decider.mintedByOperator });
      await tx.updateBreakGlass(next);
      await ledgerBoth(
        tx,
        tenant.id,
        decider.actor,
        'BREAK_GLASS_APPROVED',
        { request_id: id, approvals: next.approvals.length, required_approvals: next.requiredApprovals, state: next.state, duration_minutes: next.durationMinutes, ...(body.comment === undefined ? {} : { comment: body.comment }) },
        at,
      );
      return next;
    });
  }

  async deny(tenant: TenantRecord, id: string, decider: TenantDecider, reason: string | undefined): Promise<BreakGlassRecord> {
    return this.change(tenant.id, id, async (tx, record, now) => {
      const next = deny(record, decider.actor, reason ?? null, now);
      await tx.updateBreakGlass(next);
      await ledgerBoth(tx, tenant.id, decider.actor, 'BREAK_GLASS_DENIED', { request_id: id, ...(reason === undefined ? {} : { reason }) }, now.toISOString());
      return next;
    });
  }

  async revoke(tenant: TenantRecord, id: string, decider: TenantDecider, reason: string | undefined): Promise<BreakGlassRecord> {
    return this.change(tenant.id, id, async (tx, record, now) => {
      const next = revoke(record, decider.actor, reason ?? null, now);
      await tx.updateBreakGlass(next);
      await ledgerBoth(tx, tenant.id, decider.actor, 'BREAK_GLASS_REVOKED', { request_id: id, from_state: record.state, ...(reason === undefined ? {} : { reason }) }, now.toISOString());
      return next;
    });
  }

  /** The requesting operator's activation: the grant token (shown once; only its hash is kept). */
  async activate(id: string, operator: { id: string }, actor: string): Promise<{ record: BreakGlassRecord; token: string }> {
    const found = await this.deps.storage.breakGlass.byId(id);
    if (found === null) throw notFound(id);
    const token = newToken('bhg_');
    const grantHash = hashToken(token);
    const record = await this.change(found.tenantId, id, async (tx, current, now) => {
      const next = activate(current, operator.id, grantHash, now);
      await tx.updateBreakGlass(next);
      await tx.indexGrantToken(next.tenantId, grantHash);
      await ledgerBoth(tx, next.tenantId, actor, 'BREAK_GLASS_ACTIVATED', { request_id: id, scope: next.scope, grant_expires_at: next.grantExpiresAt }, now.toISOString());
      return next;
    });
    return { record, token };
  }

  async settings(tenant: TenantRecord): Promise<{ required_approvals: number; updated_at: string | null }> {
    const settings = await this.deps.storage.tenantScope(tenant).breakGlassSettings();
    return { required_approvals: settings?.requiredApprovals ?? DEFAULT_REQUIRED_APPROVALS, updated_at: settings?.updatedAt ?? null };
  }

  /** A new policy applies to requests opened from now on (a pending request keeps the rule it was opened under). */
  async putSettings(tenant: TenantRecord, requiredApprovals: number, actor: string): Promise<{ required_approvals: number; updated_at: string }> {
    const before = await this.settings(tenant);
    const updatedAt = this.deps.clock().toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.putBreakGlassSettings(tenant.id, { requiredApprovals, updatedAt });
      await ledgerBoth(tx, tenant.id, actor, 'BREAK_GLASS_SETTINGS_CHANGED', { from: { required_approvals: before.required_approvals }, to: { required_approvals: requiredApprovals } }, updatedAt);
    });
    return { required_approvals: requiredApprovals, updated_at: updatedAt };
  }

  /**
   * Runs `step` on the locked, time-settled request in one transaction. A refusal (ApiError) from
   * `step` is thrown after the commit, so an expiry found on the way is kept; `step` throws before
   * it writes anything.
   */
  private async change(tenantId: string, id: string, step: (tx: WriteTx, record: BreakGlassRecord, now: Date) => Promise<BreakGlassRecord>): Promise<BreakGlassRecord> {
    const outcome = await this.deps.storage.transaction(async (tx): Promise<{ record: BreakGlassRecord } | { refusal: ApiError }> => {
      const found = await tx.breakGlassForUpdate(tenantId, id);
      if (found === null) return { refusal: notFound(id) };
      const now = this.deps.clock();
      const record = await expireIfDue(tx, found, now);
      try {
        return { record: await step(tx, record, now) };
      } catch (error) {
        if (error instanceof ApiError) return { refusal: error };
        throw error;
      }
    });
    if ('refusal' in outcome) throw outcome.refusal;
    return outcome.record;
  }

  /** The request as it is now: expired (and ledgered) when its time is up. */
  private async settle(record: BreakGlassRecord): Promise<BreakGlassRecord> {
    if (expiryDue(record, this.deps.clock()) === null) return record;
    return this.deps.storage.transaction(async (tx) => {
      const locked = await tx.breakGlassForUpdate(record.tenantId, record.id);
      return locked === null ? record : expireIfDue(tx, locked, this.deps.clock());
    });
  }

  private async expireDue(): Promise<void> {
    const now = this.deps.clock();
    const due = await this.deps.storage.breakGlass.due(now.toISOString(), EXPIRE_BATCH);
    for (const record of due) await this.settle(record);
  }

  private page(rows: BreakGlassRecord[], limit: number): Page {
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCreatedCursor(last) : null };
  }
}
