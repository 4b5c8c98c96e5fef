import { z } from 'zod';
import { Slug, Timestamp, Uuid } from './common';

export const IsolationModel = z.enum(['pooled', 'siloed', 'hybrid']);
export type IsolationModel = z.infer<typeof IsolationModel>;

export const TenantState = z.enum(['active', 'suspended', 'deleted']);
export type TenantState = z.infer<typeof TenantState>;

export const Quotas = z.strictObject({
  max_agents: z.number().int().min(0).max(10_000_000),
  max_users: z.number().int().min(0).max(10_000_000),
  max_tests: z.number().int().min(0).max(10_000_000),
  storage_quota_mb: z.number().int().min(0).max(1_000_000_000),
  api_rate_limit_rpm: z.number().int().min(0).max(10_000_000),
});
export type Quotas = z.infer<typeof Quotas>;

export const defaultQuotas: Quotas = {
  max_agents: 100,
  max_users: 50,
  max_tests: 200,
  storage_quota_mb: 10_240,
  api_rate_limit_rpm: 600,
};

const TenantName = z.string().trim().min(1).max(200);
const Residency = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a short region code such as eu or us-east');
const Plan = z.string().trim().min(1).max(64);
const ContactEmail = z.email().max(254);

export const CreateTenantRequest = z.strictObject({
  slug: z.string().max(200),
  name: TenantName,
  isolation_model: IsolationModel.default('pooled'),
  residency: Residency.optional(),
  plan: Plan.optional(),
  contact_email: ContactEmail.optional(),
  quotas: Quotas.partial().optional(),
});
export type CreateTenantRequest = z.infer<typeof CreateTenantRequest>;

/** `slug` is accepted by the parser only to answer `400 slug_immutable` rather than a generic error. */
export const PatchTenantRequest = z.strictObject({
  name: TenantName.optional(),
  plan: Plan.nullable().optional(),
  contact_email: ContactEmail.nullable().optional(),
  slug: z.unknown().optional(),
});
export type PatchTenantRequest = z.infer<typeof PatchTenantRequest>;

export const StateChangeRequest = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

export const Tenant = z.strictObject({
  id: Uuid,
  slug: Slug,
  name: z.string(),
  isolation_model: IsolationModel,
  residency: z.string().nullable(),
  plan: z.string().nullable(),
  contact_email: z.string().nullable(),
  state: TenantState,
  created_at: Timestamp,
  counts: z.strictObject({ agents: z.number().int(), users: z.number().int(), tests: z.number().int() }),
  quotas: Quotas,
  /** When the customer took ownership (POST /v1/handover); null while the provider still holds the onboarding credential. */
  handed_over_at: Timestamp.nullable(),
});
export type Tenant = z.infer<typeof Tenant>;

export const AdminTokenRequest = z.strictObject({
  expires_in_seconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600),
  name: z.string().trim().min(1).max(100).optional(),
});

export const AdminTokenResponse = z.strictObject({
  id: Uuid,
  token: z.string().startsWith('bht_'),
  expires_at: Timestamp,
  tenant_id: Uuid,
  kind: z.literal('admin'),
  name: z.string(),
});

/** `{tenant}` in a route: the tenant's id or its slug. */
export const TenantRef = z.union([Uuid, Slug]);

/**
 * Handover: the customer takes ownership with the onboarding token the provider minted. The answer
 * is a tenant-owned admin token the provider never sees; every provider-minted credential ends.
 */
export const HandoverRequest = z.strictObject({
  expires_in_seconds: z
    .number()
    .int()
    .min(3600)
    .max(366 * 24 * 3600)
    .default(90 * 24 * 3600),
  name: z.string().trim().min(1).max(100).optional(),
  /** Keep the IdP settings the provider entered during onboarding, now as the tenant's own. */
  confirm_identity: z.boolean().default(false),
});

export const HandoverResponse = AdminTokenResponse.extend({
  handed_over_at: Timestamp,
  identity_confirmed: z.boolean(),
  /** Credentials that ended, by kind (admin, scim, session, bootstrap); agent tokens stay. */
  revoked: z.record(z.string(), z.number().int()),
});
export type HandoverResponse = z.infer<typeof HandoverResponse>;

/** A tenant-owned admin token minted in the tenant plane by a tenant-owned credential. */
export const TenantAdminTokenRequest = AdminTokenRequest;

/**
 * Recovery: for a tenant that lost every credential. An operator opens a request; a new onboarding
 * token can be minted only after the waiting period, and any tenant credential may cancel it meanwhile.
 */
export const recoveryStates = ['waiting', 'cancelled', 'completed'] as const;
export const RecoveryState = z.enum(recoveryStates);
export type RecoveryState = z.infer<typeof RecoveryState>;

export const CreateRecoveryRequest = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export const CancelRecoveryRequest = z.strictObject({ reason: z.string().trim().min(1).max(1000).optional() });
export const RecoveryIdParam = z.strictObject({ id: Uuid });

export const RecoveryView = z.strictObject({
  id: Uuid,
  tenant_id: Uuid,
  state: RecoveryState,
  reason: z.string(),
  requested_by: z.strictObject({ operator_id: Uuid, username: z.string() }),
  requested_at: Timestamp,
  /** The earliest time the operator may mint a new onboarding token. */
  available_at: Timestamp,
  ended_at: Timestamp.nullable(),
  ended_by: z.string().nullable(),
  end_reason: z.string().nullable(),
});
export type RecoveryView = z.infer<typeof RecoveryView>;

export const RecoveryList = z.strictObject({ items: z.array(RecoveryView) });

/** POST /provider/v1/recoveries/{id}/complete: the new onboarding token (shown once) and the request, completed. */
export const RecoveryCompleted = AdminTokenResponse.extend({ recovery: RecoveryView });

/** GET /v1/me: the caller on the tenant plane. */
export const MeView = z.strictObject({
  tenant: z.strictObject({ id: Uuid, slug: z.string(), name: z.string() }),
  user: z.strictObject({ id: Uuid, user_name: z.string(), roles: z.array(z.string()) }).nullable(),
  permissions: z.array(z.string()),
});

/** GET /v1/auth/oidc/callback: a tenant session (bht_), shown once. */
export const SignInResponse = z.strictObject({
  token: z.string().startsWith('bht_'),
  expires_at: Timestamp,
  user: z.strictObject({ id: Uuid, user_name: z.string(), roles: z.array(z.string()) }),
});

/** GET /provider/v1/replicas: the replicas sharing this control plane's data. */
export const ReplicaList = z.strictObject({
  items: z.array(z.strictObject({ id: Uuid, address: z.string(), started_at: Timestamp, heartbeat_at: Timestamp, self: z.boolean() })),
  live_count: z.number().int(),
});

/**
 * GET /provider/v1/tenant-summaries: one row per tenant for the console's tenants table. Counts and
 * rates only, never telemetry content: `results_this_month` is the tenant's `results_ingested` meter
 * summed over the current UTC month; `shed_rate` is the share of ingest units this replica shed
 * since it started (shed / (admitted + shed)), null before any ingest. Both are null for a deleted
 * tenant (its stores are gone) and for a caller without the permission (usage:read, fairness:read).
 */
export const TenantSummaryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  cursor: z.string().max(512).optional(),
  state: TenantState.optional(),
});

export const TenantSummary = Tenant.pick({ id: true, slug: true, name: true, isolation_model: true, residency: true, plan: true, state: true, created_at: true }).extend({
  agents: z.number().int().min(0),
  users: z.number().int().min(0),
  results_this_month: z.number().int().min(0).nullable(),
  shed_rate: z.number().min(0).max(1).nullable(),
});
export type TenantSummary = z.infer<typeof TenantSummary>;

export const TenantSummaryPage = z.strictObject({
  items: z.array(TenantSummary),
  next_cursor: z.string().nullable(),
  /** The UTC month `results_this_month` counts (YYYY-MM). */
  month: z.string().regex(/^\d{4}-\d{2}$/),
});
export type TenantSummaryPage = z.infer<typeof TenantSummaryPage>;
