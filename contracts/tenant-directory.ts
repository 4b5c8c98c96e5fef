import { z } from 'zod';
import { Timestamp, Uuid } from './common';

/** Tenant-plane permissions (`resource:action`). Provider roles hold none of these. */
export const tenantPermissions = [
  'profile:read',
  'telemetry:read',
  'tests:read',
  'tests:write',
  'agents:read',
  'agents:write',
  'users:read',
  'directory:write',
  'roles:write',
  'break-glass:decide',
  'audit:read',
  'insights:run',
  'identity:write',
] as const;
export const TenantPermission = z.enum(tenantPermissions);
export type TenantPermission = z.infer<typeof TenantPermission>;

/** Built-in tenant roles; custom roles add to these, never replace them. */
export const builtinTenantRoles: Readonly<Record<'admin' | 'operator' | 'viewer', readonly TenantPermission[]>> = {
  admin: tenantPermissions,
  operator: ['profile:read', 'telemetry:read', 'tests:read', 'tests:write', 'agents:read', 'agents:write', 'audit:read', 'insights:run'],
  viewer: ['profile:read', 'telemetry:read', 'tests:read', 'agents:read'],
};

export const RoleName = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'a lowercase name of 2-40 characters: a-z, 0-9, dash');

export const CustomRole = z.strictObject({
  name: RoleName,
  permissions: z.array(TenantPermission).min(1).max(tenantPermissions.length),
});

export const PutRolesRequest = z.strictObject({ roles: z.array(CustomRole).max(100) });

export const RolesView = z.strictObject({
  roles: z.array(z.strictObject({ name: z.string(), permissions: z.array(TenantPermission), builtin: z.boolean() })),
});

export const RoleMapping = z.strictObject({
  group: z.string().trim().min(1).max(256),
  role: RoleName,
});
export const RoleMappings = z.strictObject({ mappings: z.array(RoleMapping).max(1000) });
export type RoleMappings = z.infer<typeof RoleMappings>;

export const CreateScimTokenRequest = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expires_in_seconds: z
    .number()
    .int()
    .min(3600)
    .max(2 * 365 * 24 * 3600)
    .optional(),
});

export const ScimTokenView = z.strictObject({
  id: Uuid,
  name: z.string(),
  created_at: Timestamp,
  expires_at: Timestamp,
  revoked_at: Timestamp.nullable(),
});

export const ScimTokenCreated = ScimTokenView.omit({ revoked_at: true }).extend({ token: z.string().startsWith('bhs_') });

/** GET /v1/directory/users: the tenant's people as its admins read them (read-only; SCIM changes them). */
export const DirectoryUsersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^\d{1,9}$/, 'a cursor this list gave out').optional(),
});

export const DirectoryUserView = z.strictObject({
  id: Uuid,
  user_name: z.string(),
  display_name: z.string().nullable(),
  active: z.boolean(),
  /** The IdP groups the user is in (SCIM), and the roles they map to. */
  groups: z.array(z.string()),
  roles: z.array(z.string()),
  created_at: Timestamp,
});
export type DirectoryUserView = z.infer<typeof DirectoryUserView>;
