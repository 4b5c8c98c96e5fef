import type { z } from 'zod';
import { LedgerEntryView } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { TenantFairness } from '../../contracts/fairness';
import { OidcView } from '../../contracts/identity';
import { AdminTokenResponse, Quotas, Tenant, TenantSummaryPage } from '../../contracts/tenants';
import type { IpcHandlers } from '../ipc/router';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the tenant screens' handlers need of the console service: provider-plane calls as the signed-in operator. */
export interface TenantPort {
  asOperator<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.output<S>>;
}

export type TenantScreenChannel = 'tenants:summaries' | 'tenants:get' | 'tenants:update' | 'quotas:set' | 'fairness:get' | 'fairness:set' | 'identity:set-oidc' | 'tenants:admin-token' | 'audit:list';

const tenantPath = (tenant: string, rest = '') => `/provider/v1/tenants/${encodeURIComponent(tenant)}${rest}`;

/** A query string of the defined values (undefined ones left out). */
function queryOf(values: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) query.set(key, String(value));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The console's handlers for the tenants table and a tenant's page (#21). Each is one provider-plane
 * call; the control plane checks roles and ledgers every change. The request's `tenant` names the
 * path, the rest is the body as the API takes it, so an API error's field path is the form field's.
 */
export function tenantHandlers(port: TenantPort): Pick<IpcHandlers, TenantScreenChannel> {
  return {
    'tenants:summaries': (request) => port.asOperator('GET', `/provider/v1/tenant-summaries${queryOf(request)}`, TenantSummaryPage),
    'tenants:get': (request) => port.asOperator('GET', tenantPath(request.tenant), Tenant),
    'tenants:update': ({ tenant, ...body }) => port.asOperator('PATCH', tenantPath(tenant), Tenant, body),
    'quotas:set': ({ tenant, ...quotas }) => port.asOperator('PUT', tenantPath(tenant, '/quotas'), Quotas, quotas),
    'fairness:get': (request) => port.asOperator('GET', tenantPath(request.tenant, '/fairness'), TenantFairness),
    'fairness:set': ({ tenant, ...limits }) => port.asOperator('PUT', tenantPath(tenant, '/fairness'), TenantFairness, limits),
    'identity:set-oidc': ({ tenant, ...settings }) => port.asOperator('PUT', tenantPath(tenant, '/identity/oidc'), OidcView, settings),
    'tenants:admin-token': ({ tenant, ...body }) => port.asOperator('POST', tenantPath(tenant, '/admin-tokens'), AdminTokenResponse, body),
    'audit:list': (request) => port.asOperator('GET', `/provider/v1/audit${queryOf(request)}`, pageOf(LedgerEntryView)),
  };
}
