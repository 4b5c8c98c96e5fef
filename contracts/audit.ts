import { z } from 'zod';
import { Timestamp } from './common';

/** A SHA-256 hash in lowercase hex. */
export const Hex32 = z.string().regex(/^[0-9a-f]{64}$/);

export const LedgerEntryView = z.strictObject({
  seq: z.number().int().min(1),
  ts: Timestamp,
  actor: z.string(),
  event_type: z.string(),
  tenant_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  leaf_hash: Hex32,
  /**
   * What the entry says of people (user names, emails, external ids): stored sealed with the tenant's
   * key inside `details` (`personal_sealed`, which the leaf hashes), opened here for the tenant only.
   * null: the entry names nobody, the reader is not the tenant, or the tenant was deleted (crypto-shred).
   */
  personal: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type LedgerEntryView = z.infer<typeof LedgerEntryView>;

export const AuditQuery = z.strictObject({
  tenant: z.string().max(200).optional(),
  event_type: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an event type such as TENANT_CREATED')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^\d{1,15}$/, 'a cursor this list gave out').optional(),
});

export const LedgerVerifyView = z.strictObject({
  ok: z.boolean(),
  size: z.number().int().min(0),
  root: Hex32.nullable(),
  first_bad_seq: z.number().int().nullable().optional(),
  reason: z.string().optional(),
});
export type LedgerVerifyView = z.infer<typeof LedgerVerifyView>;

/** RFC 6962 inclusion proof of entry `seq` (leaf index seq - 1) in the tree of `tree_size` entries. */
export const InclusionProofView = z.strictObject({
  seq: z.number().int().min(1),
  leaf_index: z.number().int().min(0),
  tree_size: z.number().int().min(1),
  leaf_hash: Hex32,
  audit_path: z.array(Hex32),
  root: Hex32,
});
export type InclusionProofView = z.infer<typeof InclusionProofView>;

export const SeqParam = z.strictObject({ seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/**
 * A signed tree head (RFC 6962 §3.5, in JSON): the ledger's size and root at `timestamp` (ms since
 * the epoch), signed with Ed25519 by the ledger key `key_id` over the UTF-8 bytes of
 * `bulkhead-tree-head:v1\n<ledger>\n<tree_size>\n<root_hash>\n<timestamp>` (see ledger-witness.ts).
 */
export const SignedTreeHeadView = z.strictObject({
  ledger: z.string().min(1).max(200),
  tree_size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  root_hash: Hex32,
  timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  key_id: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'a base64 Ed25519 signature'),
});
export type SignedTreeHeadView = z.infer<typeof SignedTreeHeadView>;

const TreeSize = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `to` defaults to the size of the latest head. */
export const ConsistencyQuery = z.strictObject({ from: TreeSize, to: TreeSize.optional() });

/** RFC 6962 §2.1.2 consistency proof PROOF(from, D[to]), hashes in hex, bottom-up. */
export const ConsistencyProofView = z.strictObject({
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  proof: z.array(Hex32),
});
export type ConsistencyProofView = z.infer<typeof ConsistencyProofView>;

/** Every key that signed a head, the active one and the retired ones (key_id: SHA-256 of the SPKI DER, hex). */
export const LedgerKeysView = z.strictObject({
  keys: z.array(z.strictObject({ key_id: z.string().regex(/^[0-9a-f]{64}$/), public_key_pem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'), retired_at: z.string().nullable() })),
});
export type LedgerKeysView = z.infer<typeof LedgerKeysView>;

/** Which tree an inclusion proof is of: a head a witness kept (default: the current head). */
export const ProofQuery = z.strictObject({ tree_size: TreeSize.pipe(z.number().min(1)).optional() });

/**
 * A witness (the console, the portal, a script) reporting that a new head did not extend the head
 * it kept: both heads as evidence, exactly as the control plane signed them. The control plane
 * appends a `WITNESS_FAILED` entry with them (the report says nothing more than what it carries).
 */
export const WitnessFailureReport = z.strictObject({
  problem: z.enum(['history_rewritten', 'bad_signature', 'wrong_ledger']),
  kept: SignedTreeHeadView,
  seen: SignedTreeHeadView,
});
export type WitnessFailureReport = z.infer<typeof WitnessFailureReport>;

/** Where the report was ledgered: the entry in the ledger it is about (and the provider's, for a tenant). */
export const WitnessFailureRecorded = z.strictObject({ ledger: z.string(), seq: z.number().int().min(1) });
export type WitnessFailureRecorded = z.infer<typeof WitnessFailureRecorded>;

/** A head a witness kept (the console per connection and ledger, the portal per host and ledger), and when (ISO time). Public: no secret. */
export const KeptHead = z.strictObject({ head: SignedTreeHeadView, kept_at: z.string() });
export type KeptHead = z.infer<typeof KeptHead>;

/**
 * A witness's check of a ledger's new head against the one it kept (contracts/witness-flow.ts):
 * `first`: nothing was kept, this head is trusted from now on; `witnessed`: it extends the kept head
 * (and is kept in its place); `rewritten`: it does not (history was rewritten); `refused`: not signed
 * by a published key. After `rewritten` and `refused` the kept head stays: it is the evidence.
 */
export const WitnessView = z.strictObject({
  ledger: z.string(),
  state: z.enum(['first', 'witnessed', 'rewritten', 'refused']),
  /** The head checked against (null: nothing was kept). */
  kept: KeptHead.nullable(),
  /** The head the control plane answered now. */
  seen: SignedTreeHeadView,
  /** Why not, when not. */
  message: z.string().nullable(),
  /** Where the failure was ledgered (WITNESS_FAILED), once per kept head; null: not recorded. */
  recorded: WitnessFailureRecorded.nullable(),
  /** Why it could not be recorded. */
  record_error: z.string().nullable(),
});
export type WitnessView = z.infer<typeof WitnessView>;
