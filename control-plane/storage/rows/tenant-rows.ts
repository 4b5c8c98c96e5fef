import { z } from 'zod';
import { FairnessLimits } from '../../../contracts/fairness';
import { IsolationModel, Quotas, TenantState } from '../../../contracts/tenants';
import type { TenantChange, TenantRecord } from '../tenants';
import { json, optionalText, text } from './columns';

/** The row of tenants, the same on both engines. */

/** Columns in insert order. */
export const TENANT_COLUMNS = [
  'id',
  'slug',
  'name',
  'isolation_model',
  'residency',
  'plan',
  'contact_email',
  'state',
  'quotas',
  'fairness',
  'created_at',
  'updated_at',
  'handed_over_at',
] as const;

/** Tables of the shared control store (schema bh) that hold tenants' rows, each with its tenant_id: a deleted tenant's rows go from all of them. */
export const SHARED_CONTROL_TABLES = [
  'agents',
  'tenant_users',
  'tenant_groups',
  'group_members',
  'probe_tests',
  'tenant_tokens',
  'token_index',
  'tenant_roles',
  'role_mappings',
  'agent_pools',
  'tenant_identity',
  'tenant_identity_links',
  'tenant_branding',
] as const;

const Row = z.object({
  id: text,
  slug: text,
  name: text,
  isolation_model: IsolationModel,
  residency: optionalText,
  plan: optionalText,
  contact_email: optionalText,
  state: TenantState,
  quotas: json(Quotas),
  fairness: json(FairnessLimits).nullable(),
  created_at: text,
  updated_at: text,
  handed_over_at: optionalText,
});

/**
 * Rows already parsed, by their exact content: every authenticated request reads its tenant's row,
 * and checking it with the schema (two JSON columns among them) was a tenth of an agent's request
 * on the main thread. A row whose content changed in any way is a new key, so nothing stale is
 * returned. Only the single-tenant reads use it (tenantFromRowCached): a list of 10,000 tenants
 * would pay a stringify per row and evict the hot entries. Bounded: past the bound it starts again.
 */
const parsedRows = new Map<string, TenantRecord>();
const MAX_PARSED_ROWS = 1024;

/** A record of its own for each caller: no caller's change reaches another through the cache. */
function copyOf(record: TenantRecord): TenantRecord {
  return { ...record, quotas: { ...record.quotas }, fairness: record.fairness === null ? null : { ...record.fairness } };
}

/** Parses a row through the memo: for the single-tenant reads, the authentication hot path. */
export function tenantFromRowCached(value: unknown): TenantRecord {
  const key = rowKey(value);
  if (key === null) return tenantFromRow(value);
  const cached = parsedRows.get(key);
  if (cached !== undefined) return copyOf(cached);
  const record = tenantFromRow(value);
  if (parsedRows.size >= MAX_PARSED_ROWS) parsedRows.clear();
  parsedRows.set(key, record);
  return copyOf(record);
}

/** Rows in the memo now (tests: what a list read leaves there). */
export function memoisedTenantRows(): number {
  return parsedRows.size;
}

/** The row's content as text, or null for a value JSON cannot say exactly (the schema then refuses it or reads it uncached). */
function rowKey(value: unknown): string | null {
  try {
    // undefined for undefined: JSON.stringify's type does not say so.
    const text = JSON.stringify(value) as string | undefined;
    return text ?? null;
  } catch {
    return null;
  }
}

/** Parses a row, with no memo (lists: see parsedRows). */
export function tenantFromRow(value: unknown): TenantRecord {
  const row = Row.parse(value);
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    isolationModel: row.isolation_model,
    residency: row.residency,
    plan: row.plan,
    contactEmail: row.contact_email,
    state: row.state,
    quotas: row.quotas,
    fairness: row.fairness,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    handedOverAt: row.handed_over_at,
  };
}

const fairnessColumn = (fairness: TenantRecord['fairness']) => (fairness === null ? null : JSON.stringify(fairness));

export function tenantColumns(tenant: TenantRecord): Record<(typeof TENANT_COLUMNS)[number], string | null> {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    isolation_model: tenant.isolationModel,
    residency: tenant.residency,
    plan: tenant.plan,
    contact_email: tenant.contactEmail,
    state: tenant.state,
    quotas: JSON.stringify(tenant.quotas),
    fairness: fairnessColumn(tenant.fairness),
    created_at: tenant.createdAt,
    updated_at: tenant.updatedAt,
    handed_over_at: tenant.handedOverAt,
  };
}

/** The columns a change writes, in a fixed order (what it leaves undefined stays as it is). */
export function tenantChangeColumns(change: TenantChange): [column: string, value: string | null][] {
  return Object.entries({
    name: change.name,
    plan: change.plan,
    contact_email: change.contactEmail,
    state: change.state,
    quotas: change.quotas === undefined ? undefined : JSON.stringify(change.quotas),
    fairness: change.fairness === undefined ? undefined : fairnessColumn(change.fairness),
    updated_at: change.updatedAt,
    handed_over_at: change.handedOverAt,
  }).filter((entry): entry is [string, string | null] => entry[1] !== undefined);
}
