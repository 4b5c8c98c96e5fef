import type { ProviderRole } from '../../contracts/operators';
import { ApiError } from '../errors';

/**
 * Provider permissions as `resource:action`. No provider role holds any tenant-data permission
 * (telemetry, tenant users, tokens, directory): those exist only in the tenant plane, and the only
 * way in for an operator is a break-glass grant the tenant approves.
 */
export const providerPermissions = [
  'operators:read',
  'operators:write',
  'tenants:read',
  'tenants:write',
  'tenants:lifecycle',
  'quotas:read',
  'quotas:write',
  'fairness:read',
  'fairness:write',
  'branding:read',
  'branding:write',
  'identity:write',
  'tenant-tokens:create',
  'license:read',
  'license:write',
  'usage:read',
  'audit:read',
  'break-glass:request',
  'replicas:read',
] as const;
export type ProviderPermission = (typeof providerPermissions)[number];

/** Operators run the platform: not the operator accounts, not billing (usage is for billing_viewer and admins), and not the license (admins replace it). */
const operatorPermissions = providerPermissions.filter((permission) => !permission.startsWith('operators:') && permission !== 'usage:read' && permission !== 'license:write');

export const rolePermissions: Readonly<Record<ProviderRole, readonly ProviderPermission[]>> = {
  provider_admin: providerPermissions,
  provider_operator: operatorPermissions,
  billing_viewer: ['license:read', 'tenants:read', 'usage:read'],
};

export function permissionsOf(roles: readonly ProviderRole[]): Set<ProviderPermission> {
  return new Set(roles.flatMap((role) => rolePermissions[role]));
}

export function requirePermission(roles: readonly ProviderRole[], permission: ProviderPermission): void {
  if (!permissionsOf(roles).has(permission)) {
    throw new ApiError(403, 'forbidden', `Your provider role does not allow ${permission}.`, { permission });
  }
}
