import type { TenantRef } from './tenants';

/** A tenant's directory: users and groups provisioned by SCIM, and their memberships. */

/** One e-mail address of a directory user (SCIM `emails`). */
export interface DirectoryEmail {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

/** A tenant's directory user (provisioned by SCIM). `version` grows by one with every change (meta.version). */
export interface DirectoryUser {
  id: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: DirectoryEmail[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A tenant's directory group. displayName is unique per tenant (case-insensitive). */
export interface DirectoryGroup {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** One membership, with the names a SCIM answer shows beside the ids. */
export interface DirectoryMembership {
  groupId: string;
  groupDisplayName: string;
  userId: string;
  userName: string;
  userDisplayName: string | null;
}

/** Rows in creation order (created_at, id), `offset` rows skipped, at most `limit`. */
export interface DirectoryPage {
  offset: number;
  limit: number;
}

/** A uniqueness rule of the directory that a write would break (the engines map their constraint errors to this). */
export class DirectoryConflict extends Error {
  constructor(readonly constraint: 'user_name' | 'group_display_name') {
    super(constraint === 'user_name' ? 'another user of the tenant has this userName' : 'another group of the tenant has this displayName');
    this.name = 'DirectoryConflict';
  }
}

/** The directory reads of a tenant's scope. */
export interface DirectoryScope {
  /** Directory users in creation order (all of them without a page). */
  users(page?: DirectoryPage): Promise<DirectoryUser[]>;
  /** Users by id; ids that are not the tenant's (or not UUIDs) are simply absent. */
  usersByIds(ids: string[]): Promise<DirectoryUser[]>;
  /** The user with this userName, compared case-insensitively (RFC 7643: userName is not caseExact). */
  userByUserName(userName: string): Promise<DirectoryUser | null>;
  usersByExternalId(externalId: string): Promise<DirectoryUser[]>;
  groups(page?: DirectoryPage): Promise<DirectoryGroup[]>;
  groupsByIds(ids: string[]): Promise<DirectoryGroup[]>;
  /** The group with this displayName, compared case-insensitively. */
  groupByDisplayName(displayName: string): Promise<DirectoryGroup | null>;
  groupsByExternalId(externalId: string): Promise<DirectoryGroup[]>;
  /** Memberships of these groups, or of these users, or all of the tenant's (no argument). */
  memberships(of?: { groupIds: string[] } | { userIds: string[] }): Promise<DirectoryMembership[]>;
  /** Number of groups (users are in counts()). */
  groupCount(): Promise<number>;
}

/** The directory's part of a write transaction. */
export interface DirectoryWrites {
  /**
   * The tenant's directory users, counted inside the transaction. On PostgreSQL this also takes a
   * per-tenant lock until the transaction ends, so concurrent creations cannot both pass a quota.
   */
  countTenantUsers(tenant: TenantRef): Promise<number>;
  /** A user read inside the transaction and locked against concurrent changes until it ends. */
  tenantUserForUpdate(tenant: TenantRef, userId: string): Promise<DirectoryUser | null>;
  /** Throws DirectoryConflict('user_name') when another user of the tenant has the userName (case-insensitive). */
  insertTenantUser(tenant: TenantRef, user: DirectoryUser): Promise<void>;
  /**
   * Writes every attribute of the user (by id), including `active`: a user's deactivation is this one
   * write (active true → false), so what deactivation must also do later (session revocation) goes
   * here. Throws DirectoryConflict('user_name') on a clash; false when the user does not exist.
   */
  updateTenantUser(tenant: TenantRef, user: DirectoryUser): Promise<boolean>;
  /** Deletes the user and its group memberships; false when the tenant has no such user. */
  deleteTenantUser(tenant: TenantRef, userId: string): Promise<boolean>;
  /** Which of `userIds` are users of the tenant; they stay locked (no delete) until the transaction ends. */
  lockTenantUsers(tenant: TenantRef, userIds: string[]): Promise<string[]>;
  tenantGroupForUpdate(tenant: TenantRef, groupId: string): Promise<DirectoryGroup | null>;
  /** Throws DirectoryConflict('group_display_name') when the tenant has a group of that displayName (case-insensitive). */
  insertTenantGroup(tenant: TenantRef, group: DirectoryGroup): Promise<void>;
  /** Writes the group's attributes (by id); false when the group does not exist. */
  updateTenantGroup(tenant: TenantRef, group: DirectoryGroup): Promise<boolean>;
  /** Deletes the group and its memberships; false when the tenant has no such group. */
  deleteTenantGroup(tenant: TenantRef, groupId: string): Promise<boolean>;
  /** The ids of the group's members, read inside the transaction (after tenantGroupForUpdate, nothing changes them meanwhile). */
  groupMemberIds(tenant: TenantRef, groupId: string): Promise<string[]>;
  /** Adds memberships (existing ones are kept); the caller has checked the users with lockTenantUsers. */
  addGroupMembers(tenant: TenantRef, groupId: string, userIds: string[]): Promise<void>;
  removeGroupMembers(tenant: TenantRef, groupId: string, userIds: string[]): Promise<void>;
}
