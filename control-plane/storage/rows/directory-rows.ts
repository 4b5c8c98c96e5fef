import { z } from 'zod';
import type { DirectoryEmail, DirectoryGroup, DirectoryMembership, DirectoryUser } from '../directory';
import { flag, integer, optionalText, text } from './columns';

/** The rows of tenant_users, tenant_groups and group_members (joined with their names), the same on both engines. */

/** Columns in insert order; an update writes all but the first three (the row's key and birth). */
export const USER_COLUMNS = ['tenant_id', 'id', 'created_at', 'user_name', 'external_id', 'display_name', 'given_name', 'family_name', 'emails', 'active', 'updated_at', 'version'] as const;
export const USER_MUTABLE_COLUMNS = USER_COLUMNS.slice(3);

const UserRow = z.object({
  id: text,
  user_name: text,
  external_id: optionalText,
  display_name: optionalText,
  given_name: optionalText,
  family_name: optionalText,
  // Not checked entry by entry: a SCIM PATCH may leave an address without a value (RFC 7644 removes sub-attributes).
  emails: text,
  active: flag,
  created_at: text,
  updated_at: text,
  version: integer,
});

export function userFromRow(value: unknown): DirectoryUser {
  const row = UserRow.parse(value);
  return {
    id: row.id,
    userName: row.user_name,
    externalId: row.external_id,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    emails: JSON.parse(row.emails) as DirectoryEmail[],
    active: row.active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** The user's columns (SQLite binds `active` as 0/1). */
export function userColumns(tenantId: string, user: DirectoryUser): Record<(typeof USER_COLUMNS)[number], string | number | boolean | null> {
  return {
    tenant_id: tenantId,
    id: user.id,
    created_at: user.createdAt,
    user_name: user.userName,
    external_id: user.externalId,
    display_name: user.displayName,
    given_name: user.givenName,
    family_name: user.familyName,
    emails: JSON.stringify(user.emails),
    active: user.active,
    updated_at: user.updatedAt,
    version: user.version,
  };
}

/** Columns in insert order; an update writes all but the first three. */
export const GROUP_COLUMNS = ['tenant_id', 'id', 'created_at', 'display_name', 'external_id', 'updated_at', 'version'] as const;
export const GROUP_MUTABLE_COLUMNS = GROUP_COLUMNS.slice(3);

const GroupRow = z.object({ id: text, display_name: text, external_id: optionalText, created_at: text, updated_at: text, version: integer });

export function groupFromRow(value: unknown): DirectoryGroup {
  const row = GroupRow.parse(value);
  return { id: row.id, displayName: row.display_name, externalId: row.external_id, createdAt: row.created_at, updatedAt: row.updated_at, version: row.version };
}

export function groupColumns(tenantId: string, group: DirectoryGroup): Record<(typeof GROUP_COLUMNS)[number], string | number | null> {
  return {
    tenant_id: tenantId,
    id: group.id,
    created_at: group.createdAt,
    display_name: group.displayName,
    external_id: group.externalId,
    updated_at: group.updatedAt,
    version: group.version,
  };
}

/** Memberships with the names a SCIM answer shows; `from` names the tenant's directory tables (a schema prefix on PostgreSQL). */
export function membershipSelect(from: (table: string) => string): string {
  return `SELECT m.group_id, g.display_name AS group_display_name, m.user_id, u.user_name, u.display_name AS user_display_name
    FROM ${from('group_members')} m
    JOIN ${from('tenant_groups')} g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
    JOIN ${from('tenant_users')} u ON u.tenant_id = m.tenant_id AND u.id = m.user_id`;
}

export const MEMBERSHIP_ORDER = ' ORDER BY m.group_id, u.created_at, u.id';

const MembershipRow = z.object({ group_id: text, group_display_name: text, user_id: text, user_name: text, user_display_name: optionalText });

export function membershipFromRow(value: unknown): DirectoryMembership {
  const row = MembershipRow.parse(value);
  return { groupId: row.group_id, groupDisplayName: row.group_display_name, userId: row.user_id, userName: row.user_name, userDisplayName: row.user_display_name };
}
