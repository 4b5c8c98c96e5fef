import { z } from 'zod';
import { Timestamp } from './common';

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/);

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
