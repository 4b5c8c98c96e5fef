import { randomUUID } from 'node:crypto';
import type { RecoveryView } from '../../contracts/tenants';
import { tenantLedger } from '../audit/ledger-ids';
import { ledgerBoth as ledgerBothFor } from '../ledgers/ledger-both';
import type { AuthenticatedTenant } from '../auth/tenant-auth';
import { hashToken, newToken } from '../auth/tokens';
import { ApiError } from '../errors';
import type { RecoveryRecord, Storage, TenantRecord, TenantTokenKind, WriteTx } from '../storage/types';
import type { TenantService } from './tenant-service';

/** How long a recovery request waits before a new onboarding token can be minted, unless the deployment sets another. */
export const DEFAULT_RECOVERY_WAIT_MS = 72 * 3600 * 1000;

const RECOVERY_LIST_LIMIT = 100;

/** What handover and recovery end: every credential that can act for the tenant but agents' own tokens. */
export const HANDOVER_REVOKED_KINDS: readonly TenantTokenKind[] = ['admin', 'scim', 'session', 'portal', 'bootstrap'];

export interface OwnershipDeps {
  storage: Storage;
  tenants: TenantService;
  clock: () => Date;
  recoveryWaitMs: number;
}

export interface MintedAdminToken {
  id: string;
  token: string;
  expires_at: string;
  tenant_id: string;
  kind: 'admin';
  name: string;
}

/**
 * Mints an admin token inside `tx`. `mintedBy` is the operator for an onboarding token (the provider
 * plane), null for a token the tenant mints itself: tenantOwnership tells the two apart by it.
 */
export async function mintAdminToken(tx: WriteTx, tenant: TenantRecord, input: { name: string; expiresAt: string; createdAt: string; mintedBy: string | null }): Promise<MintedAdminToken> {
  const token = newToken('bht_');
  const id = randomUUID();
  await tx.createTenantToken(tenant, { id, kind: 'admin', name: input.name, tokenHash: hashToken(token), createdAt: input.createdAt, expiresAt: input.expiresAt, revokedAt: null, subjectId: input.mintedBy });
  return { id, token, expires_at: input.expiresAt, tenant_id: tenant.id, kind: 'admin', name: input.name };
}

export function recoveryView(record: RecoveryRecord): RecoveryView {
  return {
    id: record.id,
    tenant_id: record.tenantId,
    state: record.state,
    reason: record.reason,
    requested_by: { operator_id: record.operatorId, username: record.operatorUsername },
    requested_at: record.createdAt,
    available_at: record.availableAt,
    ended_at: record.endedAt,
    ended_by: record.endedBy,
    end_reason: record.endReason,
  };
}

function ledgerBoth(tx: WriteTx, tenant: TenantRecord, actor: string, eventType: string, details: Record<string, unknown>, at: string): Promise<void> {
  return ledgerBothFor(tx, tenant.id, actor, eventType, details, at);
}

/**
 * Who holds a tenant: the provider while it onboards it, the customer from handover on. Handover
 * ends every provider-minted credential and closes the provider plane's ways to mint tenant
 * credentials or change the tenant's identity; recovery is the one way back for a tenant that
 * lost every credential, slow and visible on purpose (a waiting period the tenant can cut short).
 */
export class OwnershipService {
  constructor(private readonly deps: OwnershipDeps) {}

  /**
   * The onboarding token: a tenant-admin token the provider mints for a tenant it onboards. It records
   * the operator who minted it, and it ends at handover; after handover the provider mints none.
   */
  async mintOnboardingToken(ref: string, input: { expires_in_seconds: number; name?: string | undefined }, operator: { id: string }, actor: string): Promise<MintedAdminToken> {
    const tenant = await this.deps.tenants.resolve(ref);
    if (tenant.state !== 'active') {
      throw new ApiError(409, tenant.state === 'deleted' ? 'tenant_deleted' : 'tenant_suspended', `The tenant is ${tenant.state}; tokens are issued only to active tenants.`);
    }
    if (tenant.handedOverAt !== null) {
      throw new ApiError(409, 'tenant_handed_over', `The tenant was handed over at ${tenant.handedOverAt}: the provider no longer mints its credentials. A tenant that lost every credential gets a new onboarding token through a recovery request.`, {
        handed_over_at: tenant.handedOverAt,
      });
    }
    const now = this.deps.clock();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.expires_in_seconds * 1000).toISOString();
    const name = input.name ?? 'tenant admin';
    return this.deps.storage.transaction(async (tx) => {
      const token = await mintAdminToken(tx, tenant, { name, expiresAt, createdAt, mintedBy: operator.id });
      await ledgerBoth(tx, tenant, actor, 'TENANT_ADMIN_TOKEN_CREATED', { token_id: token.id, kind: 'admin', name, expires_at: expiresAt }, createdAt);
      return token;
    });
  }

  /** A tenant-owned admin token, minted by a credential the tenant owns (after handover); in its ledger only. */
  async mintTenantAdminToken(auth: AuthenticatedTenant, input: { expires_in_seconds: number; name?: string | undefined }): Promise<MintedAdminToken> {
    if (!auth.tenantOwned) {
      throw new ApiError(403, 'handover_required', 'Tenant-owned admin tokens are minted after handover, by a credential the tenant owns.');
    }
    const now = this.deps.clock();
    const at = now.toISOString();
    return this.deps.storage.transaction(async (tx) => {
      const token = await mintAdminToken(tx, auth.tenant, { name: input.name ?? 'tenant admin', expiresAt: new Date(now.getTime() + input.expires_in_seconds * 1000).toISOString(), createdAt: at, mintedBy: null });
      await tx.appendLedger(tenantLedger(auth.tenant.id), { actor: auth.actor.label, eventType: 'TENANT_ADMIN_TOKEN_CREATED', tenantId: auth.tenant.id, details: { token_id: token.id, name: token.name, expires_at: token.expires_at, owner: 'tenant' } }, at);
      return token;
    });
  }

  /** A tenant's recovery requests, newest first, for operators. */
  async providerRecoveries(ref: string): Promise<RecoveryRecord[]> {
    const tenant = await this.deps.tenants.resolve(ref);
    return this.deps.storage.recoveries.list({ tenantId: tenant.id, limit: RECOVERY_LIST_LIMIT });
  }

  /** The tenant's own recovery requests, newest first: any credential of the tenant sees them. */
  tenantRecoveries(tenant: TenantRecord): Promise<RecoveryRecord[]> {
    return this.deps.storage.tenantScope(tenant).recoveries(RECOVERY_LIST_LIMIT);
  }

  /** The customer takes ownership with the onboarding token the provider minted. */
  async handover(
    auth: AuthenticatedTenant,
    body: { expires_in_seconds: number; name?: string | undefined; confirm_identity: boolean },
  ): Promise<MintedAdminToken & { handed_over_at: string; identity_confirmed: boolean; revoked: Partial<Record<TenantTokenKind, number>> }> {
    if (auth.user !== null || auth.token.kind !== 'admin' || auth.token.subjectId === null) {
      throw new ApiError(403, 'forbidden', 'Handover takes the onboarding token your provider gave you (a tenant-admin token it minted); this credential is not one.');
    }
    const now = this.deps.clock();
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + body.expires_in_seconds * 1000).toISOString();
    return this.deps.storage.transaction(async (tx) => {
      const tenant = await tx.tenantForUpdate(auth.tenant.id);
      if (tenant === null || tenant.state !== 'active') {
        throw new ApiError(409, tenant?.state === 'suspended' ? 'tenant_suspended' : 'tenant_deleted', 'Only an active tenant can be handed over.');
      }
      if (tenant.handedOverAt !== null) {
        throw new ApiError(409, 'tenant_handed_over', `The tenant was handed over at ${tenant.handedOverAt}.`, { handed_over_at: tenant.handedOverAt });
      }
      const revoked = await tx.revokeTenantTokens(tenant, HANDOVER_REVOKED_KINDS, at);
      await tx.updateTenant(tenant.id, { handedOverAt: at, updatedAt: at });
      const handedOver = { ...tenant, handedOverAt: at };
      const minted = await mintAdminToken(tx, handedOver, { name: body.name ?? 'tenant admin', expiresAt, createdAt: at, mintedBy: null });
      const identityConfirmed = body.confirm_identity ? await tx.setIdentityOwnership(tenant, at) : false;
      if (body.confirm_identity && !identityConfirmed) {
        throw new ApiError(409, 'conflict', 'There are no identity settings to confirm: hand over without confirm_identity, then set your IdP with PUT /v1/identity/oidc.');
      }
      await ledgerBoth(tx, tenant, auth.actor.label, 'TENANT_HANDED_OVER', { onboarding_token_id: auth.token.id, admin_token_id: minted.id, revoked, identity_confirmed: identityConfirmed }, at);
      return { ...minted, handed_over_at: at, identity_confirmed: identityConfirmed, revoked };
    });
  }

  /** An operator asks to give a handed-over tenant a new onboarding token; it waits out the recovery period. */
  async openRecovery(ref: string, reason: string, operator: { id: string; username: string }, actor: string): Promise<RecoveryRecord> {
    const resolved = await this.deps.tenants.resolve(ref);
    const now = this.deps.clock();
    const record: RecoveryRecord = {
      id: randomUUID(),
      tenantId: resolved.id,
      operatorId: operator.id,
      operatorUsername: operator.username,
      reason,
      state: 'waiting',
      createdAt: now.toISOString(),
      availableAt: new Date(now.getTime() + this.deps.recoveryWaitMs).toISOString(),
      endedAt: null,
      endedBy: null,
      endReason: null,
    };
    await this.deps.storage.transaction(async (tx) => {
      const tenant = await tx.tenantForUpdate(resolved.id);
      if (tenant === null || tenant.state !== 'active') {
        throw new ApiError(409, tenant?.state === 'suspended' ? 'tenant_suspended' : 'tenant_deleted', 'Recovery is for active tenants (resume a suspended tenant first, so it can see and cancel the request).');
      }
      if (tenant.handedOverAt === null) {
        throw new ApiError(409, 'handover_required', 'The tenant has not been handed over yet: mint an onboarding token directly (POST /provider/v1/tenants/{tenant}/admin-tokens).');
      }
      const waiting = await tx.waitingRecoveriesForUpdate(tenant.id);
      if (waiting.length > 0) {
        throw new ApiError(409, 'recovery_in_progress', 'A recovery request for this tenant is already waiting.', { request_id: waiting[0]?.id, available_at: waiting[0]?.availableAt });
      }
      await tx.insertRecovery(record);
      await ledgerBoth(tx, tenant, actor, 'RECOVERY_REQUESTED', { request_id: record.id, reason, available_at: record.availableAt }, record.createdAt);
    });
    return record;
  }

  /** Any tenant credential ends a waiting recovery request. */
  async cancelRecovery(tenant: TenantRecord, id: string, actor: string, reason: string | undefined): Promise<RecoveryRecord> {
    const at = this.deps.clock().toISOString();
    return this.deps.storage.transaction(async (tx) => {
      const record = await tx.recoveryForUpdate(tenant.id, id);
      if (record === null) throw new ApiError(404, 'not_found', `No recovery request ${id}.`);
      if (record.state !== 'waiting') {
        throw new ApiError(409, 'recovery_not_open', `The recovery request is ${record.state}.`, { state: record.state });
      }
      const next: RecoveryRecord = { ...record, state: 'cancelled', endedAt: at, endedBy: actor, endReason: reason ?? 'cancelled by the tenant' };
      await tx.updateRecovery(next);
      await ledgerBoth(tx, tenant, actor, 'RECOVERY_CANCELLED', { request_id: id, ...(reason === undefined ? {} : { reason }) }, at);
      return next;
    });
  }

  /**
   * After the waiting period: the tenant goes back to onboarding. Every credential that could act for
   * it ends, its IdP settings are the provider's again (to be confirmed at the next handover), and the
   * operator gets a new onboarding token, shown once.
   */
  async completeRecovery(id: string, input: { expires_in_seconds: number; name?: string | undefined }, operator: { id: string }, actor: string): Promise<{ record: RecoveryRecord; minted: MintedAdminToken }> {
    const found = await this.deps.storage.recoveries.byId(id);
    if (found === null) throw new ApiError(404, 'not_found', `No recovery request ${id}.`);
    const now = this.deps.clock();
    const at = now.toISOString();
    return this.deps.storage.transaction(async (tx) => {
      const record = await tx.recoveryForUpdate(found.tenantId, id);
      const tenant = await tx.tenantForUpdate(found.tenantId);
      if (record === null || tenant === null) throw new ApiError(404, 'not_found', `No recovery request ${id}.`);
      if (record.state !== 'waiting') {
        throw new ApiError(409, 'recovery_not_open', `The recovery request is ${record.state}.`, { state: record.state, ended_by: record.endedBy });
      }
      if (tenant.state !== 'active') {
        throw new ApiError(409, tenant.state === 'suspended' ? 'tenant_suspended' : 'tenant_deleted', `The tenant is ${tenant.state}.`);
      }
      if (Date.parse(record.availableAt) > now.getTime()) {
        throw new ApiError(409, 'recovery_waiting', `The tenant has until ${record.availableAt} to cancel this request; a new onboarding token can be minted after that.`, {
          available_at: record.availableAt,
        });
      }
      const revoked = await tx.revokeTenantTokens(tenant, HANDOVER_REVOKED_KINDS, at);
      await tx.setIdentityOwnership(tenant, null);
      await tx.updateTenant(tenant.id, { handedOverAt: null, updatedAt: at });
      const minted = await mintAdminToken(tx, { ...tenant, handedOverAt: null }, {
        name: input.name ?? 'onboarding (recovery)',
        expiresAt: new Date(now.getTime() + input.expires_in_seconds * 1000).toISOString(),
        createdAt: at,
        mintedBy: operator.id,
      });
      const next: RecoveryRecord = { ...record, state: 'completed', endedAt: at, endedBy: actor, endReason: 'a new onboarding token was minted' };
      await tx.updateRecovery(next);
      await ledgerBoth(tx, tenant, actor, 'RECOVERY_COMPLETED', { request_id: id, onboarding_token_id: minted.id, revoked }, at);
      return { record: next, minted };
    });
  }
}
