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
