import type { FastifyInstance } from 'fastify';
import { AuditQuery, SeqParam, type InclusionProofView, type LedgerEntryView, type LedgerVerifyView } from '../../contracts/audit';
import { PROVIDER_LEDGER } from '../audit/ledger-ids';
import { inclusionProof } from '../audit/merkle';
import type { LedgerEntry, LedgerVerification, Storage } from '../storage/types';
import { ApiError } from './errors';
import { operatorWith, type ProviderContext } from './context';
import { parseWith } from './validation';

/** Opens what an entry says of people, for the tenant that owns the entry (see audit/ledger-personal.ts). */
export type PersonalOpener = (details: Record<string, unknown>) => Record<string, unknown> | null;

export function entryView(entry: LedgerEntry, openPersonal?: PersonalOpener | null): LedgerEntryView {
  return {
    ...(openPersonal === undefined ? {} : { personal: openPersonal === null ? null : openPersonal(entry.details) }),
    seq: entry.seq,
    ts: entry.ts,
    actor: entry.actor,
    event_type: entry.eventType,
    tenant_id: entry.tenantId,
    details: entry.details,
    leaf_hash: entry.leafHash.toString('hex'),
  };
}

export function verifyView(result: LedgerVerification): LedgerVerifyView {
  return result.ok
    ? { ok: true, size: result.size, root: result.root.toString('hex') }
    : { ok: false, size: result.size, root: result.root?.toString('hex') ?? null, first_bad_seq: result.firstBadSeq, reason: result.reason };
}

/** The inclusion proof of entry `seq` against the ledger's current signed tree head. */
export async function proofView(storage: Storage, ledgerId: string, seq: number): Promise<InclusionProofView> {
  const head = await storage.ledgers.head(ledgerId);
  if (seq > head.size) {
    throw new ApiError(404, 'not_found', `The ledger has ${head.size} entries; there is no entry ${seq}.`);
  }
  const leaves = await storage.ledgers.leafHashes(ledgerId, head.size);
  const leaf = leaves[seq - 1];
  if (leaf === undefined || leaves.length !== head.size) {
    throw new ApiError(409, 'conflict', 'The ledger does not match its signed tree head; run verify.');
  }
  return {
    seq,
    leaf_index: seq - 1,
    tree_size: head.size,
    leaf_hash: leaf.toString('hex'),
    audit_path: inclusionProof(leaves, seq - 1, head.size).map((hash) => hash.toString('hex')),
    root: head.root.toString('hex'),
  };
}

/** One page of a ledger, newest first; the cursor is the seq to continue below. */
export async function ledgerPage(
  storage: Storage,
  ledgerId: string,
  query: { tenantId?: string | undefined; event_type?: string | undefined; cursor?: string | undefined; limit: number },
  openPersonal?: PersonalOpener | null,
): Promise<{ items: LedgerEntryView[]; next_cursor: string | null }> {
  const entries = await storage.ledgers.entries(ledgerId, {
    tenantId: query.tenantId,
    eventType: query.event_type,
    beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
    limit: query.limit + 1,
  });
  const page = entries.slice(0, query.limit);
  const last = page.at(-1);
  return { items: page.map((entry) => entryView(entry, openPersonal)), next_cursor: entries.length > query.limit && last !== undefined ? String(last.seq) : null };
}

/** GET /provider/v1/audit (filters: tenant, event_type), /audit/verify, /audit/proof/{seq}: the provider ledger. */
export function auditRoutes(ctx: ProviderContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/audit', async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const query = parseWith(AuditQuery, request.query, 'query');
      const tenantId = query.tenant === undefined ? undefined : (await ctx.tenants.resolve(query.tenant)).id;
      return ledgerPage(ctx.storage, PROVIDER_LEDGER, { ...query, tenantId });
    });

    app.get('/provider/v1/audit/verify', async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      return verifyView(await ctx.storage.ledgers.verify(PROVIDER_LEDGER));
    });

    app.get('/provider/v1/audit/proof/:seq', async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      return proofView(ctx.storage, PROVIDER_LEDGER, seq);
    });
    return Promise.resolve();
  };
}
