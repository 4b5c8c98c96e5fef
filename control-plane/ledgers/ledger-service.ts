import type { SignedTreeHeadView, WitnessFailureRecorded, WitnessFailureReport } from '../../contracts/audit';
import { verifyHeadSignature } from '../../contracts/ledger-witness';
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

  /**
   * A witness's report that a new head did not extend the one it kept (#25): appended as
   * `WITNESS_FAILED` with both heads to the ledger it is about, and for a tenant's ledger to the
   * provider's too (so the provider's operators see it). Both heads must name that ledger. The
   * report is evidence as the witness holds it, so it is not judged, but only heads this control
   * plane signed are ledgered (the new head of a `bad_signature` report excepted): an entry never
   * carries a head someone made up.
   */
  async recordWitnessFailure(ledgerId: string, tenantId: string | null, actor: string, report: WitnessFailureReport, at: string): Promise<WitnessFailureRecorded> {
    for (const side of ['kept', 'seen'] as const) {
      if (report[side].ledger !== ledgerId) {
        throw new ApiError(400, 'invalid_request', `The ${side} head is of ledger ${report[side].ledger}, not of this ledger.`, { issues: [{ path: `${side}.ledger`, message: 'must be the ledger this route witnesses' }] });
      }
    }
    const keys = (await this.publicKeys()).map((key) => ({ key_id: key.keyId, public_key_pem: key.publicKeyPem, retired_at: key.retiredAt }));
    const signed: ('kept' | 'seen')[] = report.problem === 'bad_signature' ? ['kept'] : ['kept', 'seen'];
    for (const side of signed) {
      if (!(await verifyHeadSignature(report[side], keys))) {
        throw new ApiError(400, 'invalid_request', `The ${side} head is not signed by a published ledger key.`, { issues: [{ path: `${side}.signature`, message: 'not signed by a published ledger key' }] });
      }
    }
    const details = { problem: report.problem, kept: report.kept, seen: report.seen };
    return this.storage.transaction(async (tx) => {
      const entry = await tx.appendLedger(ledgerId, { actor, eventType: 'WITNESS_FAILED', tenantId, details }, at);
      if (ledgerId !== PROVIDER_LEDGER) await tx.appendLedger(PROVIDER_LEDGER, { actor, eventType: 'WITNESS_FAILED', tenantId, details }, at);
      return { ledger: ledgerId, seq: entry.seq };
    });
  }
}

/** A proof's rows, or 409 when the stored entries or nodes fall short of the signed head. */
function present<T>(value: T | null): T {
  if (value === null) {
    throw new ApiError(409, 'conflict', 'The ledger does not match its signed tree head; run verify.');
  }
  return value;
}
