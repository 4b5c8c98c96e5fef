import type { SignedTreeHeadView } from '../../contracts/audit';
import { ApiError } from '../errors';
import type { LedgerEntry, LedgerVerification, Storage } from '../storage/types';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import { PROVIDER_LEDGER, tenantLedger } from '../audit/ledger-ids';
import { personalOpener } from './ledger-personal';
import type { LedgerPublicKey, LedgerSigner } from './ledger-signer';

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
  constructor(private readonly deps: { storage: Storage; crypto: TenantCrypto; signer: LedgerSigner }) {}

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

  /**
   * The inclusion proof of entry `seq` in the tree of `treeSize` entries (default: the current head),
   * so a witness can check an entry against a signed head it kept.
   */
  async proof(ledgerId: string, seq: number, treeSize?: number): Promise<InclusionProof> {
    const head = await this.storage.ledgers.head(ledgerId);
    const size = treeSize ?? head.size;
    if (size > head.size) {
      throw new ApiError(400, 'invalid_tree_range', `The ledger has ${head.size} entries; there is no tree of ${size}.`);
    }
    if (seq > size) {
      throw new ApiError(404, 'not_found', `The tree has ${size} entries; there is no entry ${seq}.`);
    }
    const proof = present(await this.storage.ledgers.inclusionProof(ledgerId, seq - 1, size));
    const entry = present(await this.storage.ledgers.entry(ledgerId, seq));
    return { seq, treeSize: size, leafHash: entry.leafHash, auditPath: proof.auditPath, root: size === head.size ? head.root : proof.root };
  }

  /** The ledger's current head, signed (RFC 6962 §3.5): what a witness keeps and later checks the next one against. */
  async signedHead(ledgerId: string): Promise<SignedTreeHeadView> {
    const head = await this.storage.ledgers.head(ledgerId);
    return this.deps.signer.signHead(ledgerId, head.size, head.root);
  }

  /** The public keys that sign heads, retired ones too: the same for every ledger and tenant. */
  publicKeys(): Promise<LedgerPublicKey[]> {
    return this.deps.signer.publicKeys();
  }

  /** RFC 6962 §2.1.2 PROOF(from, D[to]); `to` defaults to the current head's size. */
  async consistency(ledgerId: string, from: number, to?: number): Promise<{ from: number; to: number; proof: Buffer[] }> {
    const head = await this.storage.ledgers.head(ledgerId);
    const size = to ?? head.size;
    if (size > head.size || from > size) {
      throw new ApiError(400, 'invalid_tree_range', `A consistency proof needs from ≤ to ≤ ${head.size} (the ledger's size); got from ${from}, to ${size}.`, { from, to: size, tree_size: head.size });
    }
    return { from, to: size, proof: present(await this.storage.ledgers.consistencyProof(ledgerId, from, size)) };
  }
}

/** A proof's rows, or 409 when the stored entries or nodes fall short of the signed head. */
function present<T>(value: T | null): T {
  if (value === null) {
    throw new ApiError(409, 'conflict', 'The ledger does not match its signed tree head; run verify.');
  }
  return value;
}
