import { z } from 'zod';
import { PageQuery, Timestamp, Uuid } from './common';

/**
 * Break-glass: the only way an operator reads a tenant's data. An operator opens a request, the
 * tenant's admins approve (one or two of them, the tenant's setting) or deny it, the operator
 * activates it once for a `bhg_` grant token that reads the scoped routes of that one tenant until
 * it expires or the tenant revokes it. Every step and every read is in both ledgers.
 */

/** What a grant may read. Extensible: a new scope adds its routes in control-plane/breakglass/grant-scopes.ts. */
export const breakGlassScopes = ['telemetry:read'] as const;
export const BreakGlassScope = z.enum(breakGlassScopes);
export type BreakGlassScope = z.infer<typeof BreakGlassScope>;

export const breakGlassStates = ['pending', 'approved', 'denied', 'active', 'expired', 'revoked'] as const;
export const BreakGlassState = z.enum(breakGlassStates);
export type BreakGlassState = z.infer<typeof BreakGlassState>;

/** The longest grant a request may ask for. */
export const MAX_BREAK_GLASS_MINUTES = 240;
/** An unanswered (or approved but never activated) request expires this long after it was opened. */
export const BREAK_GLASS_REQUEST_TTL_HOURS = 12;

const Minutes = z.number().int().min(1).max(MAX_BREAK_GLASS_MINUTES);
const Note = z.string().trim().min(1).max(1000);

export const CreateBreakGlassRequest = z.strictObject({
  /** The tenant's id or slug. */
  tenant: z.string().min(1).max(200),
  reason: Note,
  scope: z
    .array(BreakGlassScope)
    .min(1)
    .max(breakGlassScopes.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, { message: 'each scope once' }),
  duration_minutes: Minutes,
});
export type CreateBreakGlassRequest = z.infer<typeof CreateBreakGlassRequest>;

/** An approver may shorten the grant (never lengthen it). */
export const ApproveBreakGlassRequest = z.strictObject({
  duration_minutes: Minutes.optional(),
  comment: Note.optional(),
});

/** Activation takes no fields (an empty or absent body). */
export const ActivateBreakGlassRequest = z.strictObject({});
export const DenyBreakGlassRequest = z.strictObject({ reason: Note.optional() });
export const RevokeBreakGlassRequest = z.strictObject({ reason: Note.optional() });

export const BreakGlassIdParam = z.strictObject({ id: Uuid });

export const TenantBreakGlassListQuery = PageQuery.extend({ state: BreakGlassState.optional() });
export const ProviderBreakGlassListQuery = TenantBreakGlassListQuery.extend({ tenant: z.string().min(1).max(200).optional() });

export const BreakGlassApprovalView = z.strictObject({
  by: z.string(),
  at: Timestamp,
  duration_minutes: z.number().int().nullable(),
  comment: z.string().nullable(),
});

export const BreakGlassRequestView = z.strictObject({
  id: Uuid,
  tenant_id: Uuid,
  state: BreakGlassState,
  reason: z.string(),
  scope: z.array(BreakGlassScope),
  /** The grant's length: as requested, or as the approvers shortened it. */
  duration_minutes: z.number().int(),
  requested_duration_minutes: z.number().int(),
  requested_by: z.strictObject({ operator_id: Uuid, username: z.string() }),
  requested_at: Timestamp,
  /** Until when the request may be approved and activated. */
  request_expires_at: Timestamp,
  required_approvals: z.number().int().min(1).max(2),
  approvals: z.array(BreakGlassApprovalView),
  decided_at: Timestamp.nullable(),
  decided_by: z.string().nullable(),
  decision_note: z.string().nullable(),
  activated_at: Timestamp.nullable(),
  grant_expires_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
  ended_by: z.string().nullable(),
  end_reason: z.string().nullable(),
});
export type BreakGlassRequestView = z.infer<typeof BreakGlassRequestView>;

/** The answer of activation: the grant token, shown this once. */
export const BreakGlassGrant = z.strictObject({
  id: Uuid,
  grant_token: z.string().startsWith('bhg_'),
  expires_at: Timestamp,
  tenant_id: Uuid,
  scope: z.array(BreakGlassScope),
});

/** The tenant's break-glass policy: how many distinct tenant admins must approve a request. */
export const BreakGlassSettings = z.strictObject({
  required_approvals: z.number().int().min(1).max(2),
});
export type BreakGlassSettings = z.infer<typeof BreakGlassSettings>;

export const BreakGlassSettingsView = BreakGlassSettings.extend({ updated_at: Timestamp.nullable() });
