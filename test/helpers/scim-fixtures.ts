import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './control-plane-harness';

/** A tenant made for SCIM tests: its admin token (bht_) and a SCIM token (bhs_) minted by that admin. */
export interface ScimTenant {
  id: string;
  slug: string;
  admin: { authorization: string };
  scim: { authorization: string };
  scimTokenId: string;
}

export async function scimTenant(t: TestApp, slug: string, isolation_model: 'pooled' | 'siloed' | 'hybrid' = 'pooled'): Promise<ScimTenant> {
  const operator = await t.adminHeaders();
  const created = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: operator, payload: { slug, name: slug, isolation_model } });
  if (created.statusCode !== 201) throw new Error(`creating tenant ${slug}: ${created.statusCode} ${created.body}`);
  const adminToken = await t.app.inject({ method: 'POST', url: `/provider/v1/tenants/${slug}/admin-tokens`, headers: operator, payload: { expires_in_seconds: 86_400 } });
  const admin = { authorization: `Bearer ${adminToken.json<{ token: string }>().token}` };
  const scimToken = await t.app.inject({ method: 'POST', url: '/v1/directory/scim-tokens', headers: admin, payload: { name: `${slug} idp` } });
  if (scimToken.statusCode !== 201) throw new Error(`minting a SCIM token: ${scimToken.statusCode} ${scimToken.body}`);
  const token = scimToken.json<{ id: string; token: string }>();
  return { id: created.json<{ id: string }>().id, slug, admin, scim: { authorization: `Bearer ${token.token}` }, scimTokenId: token.id };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One SCIM request as an IdP sends it: `application/scim+json` bodies unless another type is given. */
export function scimCall(t: TestApp, method: Method, url: string, headers: Record<string, string>, body?: unknown, contentType = 'application/scim+json'): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimList<T = ScimResource> {
  schemas: string[];
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: T[];
}

export interface ScimResource {
  schemas: string[];
  id: string;
  meta: { resourceType: string; created: string; lastModified: string; location: string; version: string };
  [attribute: string]: unknown;
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: string;
  detail: string;
}

/** The tenant's ledger (newest first) as the tenant admin reads it. */
export async function ledgerEvents(t: TestApp, tenant: ScimTenant): Promise<{ event_type: string; details: Record<string, unknown>; personal?: Record<string, unknown> | null }[]> {
  const response = await t.app.inject({ method: 'GET', url: '/v1/audit?limit=1000', headers: tenant.admin });
  return response.json<{ items: { event_type: string; details: Record<string, unknown>; personal?: Record<string, unknown> | null }[] }>().items;
}

export async function ledgerVerifies(t: TestApp, tenant: ScimTenant): Promise<boolean> {
  const response = await t.app.inject({ method: 'GET', url: '/v1/audit/verify', headers: tenant.admin });
  return response.json<{ ok: boolean }>().ok;
}
