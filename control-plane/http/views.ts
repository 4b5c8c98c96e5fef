import type { AgentPool, AgentView } from '../../contracts/agents';
import type { ConsistencyProofView, InclusionProofView, LedgerEntryView, LedgerKeysView, LedgerVerifyView } from '../../contracts/audit';
import { BreakGlassScope, type BreakGlassRequestView } from '../../contracts/break-glass';
import type { OidcView } from '../../contracts/identity';
import type { ProbeTest } from '../../contracts/probe-tests';
import type { LedgerPage, InclusionProof } from '../ledgers/ledger-service';
import type { LedgerPublicKey } from '../ledgers/ledger-signer';
import type { AgentPoolRecord, AgentRecord, BreakGlassRecord, LedgerVerification, ProbeTestRecord, TenantIdentityRecord } from '../storage/types';
import { poolDetails } from '../tenancy/agent-service';

/** The contract's shapes of what services answer, shared by the planes that show them. */

export function breakGlassView(record: BreakGlassRecord): BreakGlassRequestView {
  return {
    id: record.id,
    tenant_id: record.tenantId,
    state: record.state,
    reason: record.reason,
    scope: BreakGlassScope.array().parse(record.scope),
    duration_minutes: record.durationMinutes,
    requested_duration_minutes: record.requestedMinutes,
    requested_by: { operator_id: record.operatorId, username: record.operatorUsername },
    requested_at: record.createdAt,
    request_expires_at: record.requestExpiresAt,
    required_approvals: record.requiredApprovals,
    approvals: record.approvals.map((approval) => ({ by: approval.actor, at: approval.at, duration_minutes: approval.durationMinutes, comment: approval.comment })),
    decided_at: record.decidedAt,
    decided_by: record.decidedBy,
    decision_note: record.decisionNote,
    activated_at: record.activatedAt,
    grant_expires_at: record.grantExpiresAt,
    ended_at: record.endedAt,
    ended_by: record.endedBy,
    end_reason: record.endReason,
  };
}

export function breakGlassPageView(page: { items: BreakGlassRecord[]; next_cursor: string | null }): { items: BreakGlassRequestView[]; next_cursor: string | null } {
  return { items: page.items.map(breakGlassView), next_cursor: page.next_cursor };
}

export function oidcView(identity: TenantIdentityRecord): OidcView {
  return {
    issuer: identity.issuer,
    client_id: identity.clientId,
    claim: identity.claim,
    groups_claim: identity.groupsClaim,
    updated_at: identity.updatedAt,
    owner: identity.tenantOwnedAt === null ? 'provider' : 'tenant',
  };
}

export function ledgerPageView(page: LedgerPage): { items: LedgerEntryView[]; next_cursor: string | null } {
  return {
    items: page.items.map(({ entry, personal }) => ({
      ...(personal === undefined ? {} : { personal }),
      seq: entry.seq,
      ts: entry.ts,
      actor: entry.actor,
      event_type: entry.eventType,
      tenant_id: entry.tenantId,
      details: entry.details,
      leaf_hash: entry.leafHash.toString('hex'),
    })),
    next_cursor: page.nextCursor,
  };
}

export function verifyView(result: LedgerVerification): LedgerVerifyView {
  return result.ok
    ? { ok: true, size: result.size, root: result.root.toString('hex') }
    : { ok: false, size: result.size, root: result.root?.toString('hex') ?? null, first_bad_seq: result.firstBadSeq, reason: result.reason };
}

export function proofView(proof: InclusionProof): InclusionProofView {
  return {
    seq: proof.seq,
    leaf_index: proof.seq - 1,
    tree_size: proof.treeSize,
    leaf_hash: proof.leafHash.toString('hex'),
    audit_path: proof.auditPath.map((hash) => hash.toString('hex')),
    root: proof.root.toString('hex'),
  };
}

export function consistencyView(proof: { from: number; to: number; proof: Buffer[] }): ConsistencyProofView {
  return { from: proof.from, to: proof.to, proof: proof.proof.map((hash) => hash.toString('hex')) };
}

export function ledgerKeysView(keys: LedgerPublicKey[]): LedgerKeysView {
  return { keys: keys.map((key) => ({ key_id: key.keyId, public_key_pem: key.publicKeyPem, retired_at: key.retiredAt })) };
}

export function poolView(pool: AgentPoolRecord): AgentPool {
  return poolDetails(pool);
}

export function agentView(agent: AgentRecord): AgentView {
  return { id: agent.id, name: agent.name, pool_id: agent.poolId, group: agent.groupName, created_at: agent.createdAt };
}

export function probeTestView(test: ProbeTestRecord): ProbeTest {
  return { id: test.id, name: test.name, target: test.target, kind: test.kind, interval_s: test.intervalS, created_at: test.createdAt };
}
