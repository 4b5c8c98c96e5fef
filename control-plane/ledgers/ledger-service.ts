import { inclusionProof } from '../audit/merkle';
import { ApiError } from '../errors';
import type { LedgerEntry, LedgerVerification, Storage } from '../storage/types';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { personalOpener } from './ledger-personal';

/** What an entry says of people, opened for the tenant that owns it (see ledger-personal.ts). */
export type PersonalOpener = (details: Record<string, unknown>) => Record<string, unknown> | null;

export interface LedgerPage {
  items: { entry: LedgerEntry; personal?: Record<string, unknown> | null }[];
  nextCursor: string | null;
}

export interface InclusionProof {
  seq: number;
  treeSize: number;
  leafHash: Buffer;
  auditPath: Buffer[];
  root: Buffer;
}

/**
 * Reading the ledgers as people do: a page of entries newest first (with the tenant's own view of
 * what they say of people), verification, and inclusion proofs against the current signed head.
 */
export class LedgerService {
  constructor(private readonly deps: { storage: Storage; crypto: TenantCrypto }) {}

  private get storage(): Storage {
    return this.deps.storage;
  }

  /** A page of the provider ledger (optionally of one tenant's entries): what it says of people stays sealed. */
  providerPage(query: { tenantId?: string | undefined; event_type?: string | undefined; cursor?: string | undefined; limit: number }): Promise<LedgerPage> {
    return this.page(PROVIDER_LEDGER, query);
  }

  /** A page of a tenant's own ledger, for the tenant: what entries say of people is opened with its key. */
  async tenantPage(tenantId: string, query: { event_type?: string | undefined; cursor?: string | undefined; limit: number }): Promise<LedgerPage> {
    return this.page(tenantLedger(tenantId), query, await personalOpener(this.deps.crypto, tenantId));
  }

  /** One page newest first; the cursor is the seq to continue below. `openPersonal` given: each item carries `personal`. */
  async page(ledgerId: string, query: { tenantId?: string | undefined; event_type?: string | undefined; cursor?: string | undefined; limit: number }, openPersonal?: PersonalOpener | null): Promise<LedgerPage> {
    const entries = await this.storage.ledgers.entries(ledgerId, {
      tenantId: query.tenantId,
      eventType: query.event_type,
      beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit + 1,
    });
    const page = entries.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => (openPersonal === undefined ? { entry } : { entry, personal: openPersonal === null ? null : openPersonal(entry.details) })),
      nextCursor: entries.length > query.limit && last !== undefined ? String(last.seq) : null,
    };
  }

  verify(ledgerId: string): Promise<LedgerVerification> {
    return this.storage.ledgers.verify(ledgerId);
  }

  /** The inclusion proof of entry `seq` against the ledger's current signed tree head. */
  async proof(ledgerId: string, seq: number): Promise<InclusionProof> {
    const head = await this.storage.ledgers.head(ledgerId);
    if (seq > head.size) {
      throw new ApiError(404, 'not_found', `The ledger has ${head.size} entries; there is no entry ${seq}.`);
    }
    const leaves = await this.storage.ledgers.leafHashes(ledgerId, head.size);
    const leaf = leaves[seq - 1];
    if (leaf === undefined || leaves.length !== head.size) {
      throw new ApiError(409, 'conflict', 'The ledger does not match its signed tree head; run verify.');
    }
    return { seq, treeSize: head.size, leafHash: leaf, auditPath: inclusionProof(leaves, seq - 1, head.size), root: head.root };
  }
}
