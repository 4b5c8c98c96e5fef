import type { TenantScope } from '../storage/types';

/**
 * The roles a directory user holds now: the roles that the tenant's role mappings give to the
 * groups the user is in (matched by group displayName, case-insensitively, as SCIM compares it).
 * Computed at read time from the current memberships and mappings, so a membership change or a
 * mapping change takes effect at once. A user in no mapped group (every user SCIM has just
 * provisioned) has no roles; a deactivated user has none either.
 */
export async function effectiveRoles(scope: TenantScope, userId: string): Promise<string[]> {
  const [user] = await scope.usersByIds([userId]);
  if (user === undefined || !user.active) {
    return [];
  }
  const [memberships, mappings] = await Promise.all([scope.memberships({ userIds: [userId] }), scope.roleMappings()]);
  const groups = new Set(memberships.map((membership) => membership.groupDisplayName.toLowerCase()));
  const roles = mappings.filter((mapping) => groups.has(mapping.group.toLowerCase())).map((mapping) => mapping.role);
  return [...new Set(roles)].sort();
}
