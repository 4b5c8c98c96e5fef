import { randomUUID } from 'node:crypto';
import { builtinTenantRoles, type DirectoryUserView } from '../../contracts/tenant-directory';
import { tenantLedger } from '../audit/ledger-ids';
import { hashToken, newToken } from '../auth/tokens';
import { ApiError } from '../errors';
import { personalSealer, type PersonalSealer } from '../ledgers/ledger-personal';
import { DirectoryConflict, type DirectoryGroup, type DirectoryUser, type Storage, type TenantRecord, type TenantTokenRecord, type WriteTx } from '../storage/types';
import { assertWithinQuota } from '../tenancy/quota-check';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import { groupDocOf, listGroups, listUsers, userDocOf, type ListRequest } from './scim/directory-queries';
import { changedUserAttributes, type GroupState, type UserState } from './scim/resources';
import { badRequest, notFound } from './scim/scim-error';

/** Who changes the directory: the tenant, and the actor its ledger names. */
export interface DirectoryActor {
  tenant: TenantRecord;
  actor: string;
}

/** Called with a resource's current version before it changes: throws to refuse (SCIM If-Match). */
export type VersionCheck = (version: number) => void;

const DEFAULT_SCIM_TOKEN_SECONDS = 365 * 24 * 3600;

function membershipDetails(added: string[], removed: string[]): Record<string, unknown> {
  return {
    members_added: added.slice(0, 100),
    members_removed: removed.slice(0, 100),
    ...(added.length > 100 || removed.length > 100 ? { members_added_count: added.length, members_removed_count: removed.length } : {}),
  };
}

/**
 * A tenant's directory and its settings: users and groups (as its IdP pushes them over SCIM), SCIM
 * tokens, custom roles and group → role mappings. Every change runs in one transaction with its
 * entry in the tenant's ledger; what an entry says of a person is sealed with the tenant's key.
 */
export class DirectoryService {
  constructor(private readonly deps: { storage: Storage; crypto: TenantCrypto; clock: () => Date }) {}

  private now(): string {
    return this.deps.clock().toISOString();
  }

  private ledger(tx: WriteTx, who: DirectoryActor, eventType: string, details: Record<string, unknown>, at: string) {
    return tx.appendLedger(tenantLedger(who.tenant.id), { actor: who.actor, eventType, tenantId: who.tenant.id, details }, at);
  }

  private sealer(who: DirectoryActor): Promise<PersonalSealer> {
    return personalSealer(this.deps.crypto, who.tenant.id);
  }

  // ---- Reads, as SCIM shows them (base: the SCIM base URL the documents' locations use) ----

  listUsers(tenant: TenantRecord, request: ListRequest, base: string): Promise<{ docs: Record<string, unknown>[]; total: number }> {
    return listUsers(this.deps.storage.tenantScope(tenant), request, base);
  }

  listGroups(tenant: TenantRecord, request: ListRequest, base: string): Promise<{ docs: Record<string, unknown>[]; total: number }> {
    return listGroups(this.deps.storage.tenantScope(tenant), request, base);
  }

  /**
   * A page of the tenant's users (creation order) for its admins, with their groups and the roles
   * those map to (as effectiveRoles decides them: none for a deactivated user). `offset` is the cursor.
   */
  async usersPage(tenant: TenantRecord, offset: number, limit: number): Promise<{ items: DirectoryUserView[]; next_cursor: string | null }> {
    const scope = this.deps.storage.tenantScope(tenant);
    const fetched = await scope.users({ offset, limit: limit + 1 });
    const users = fetched.slice(0, limit);
    const [memberships, mappings] = await Promise.all([users.length === 0 ? Promise.resolve([]) : scope.memberships({ userIds: users.map((user) => user.id) }), scope.roleMappings()]);
    const items = users.map((user) => {
      const groups = memberships.filter((membership) => membership.userId === user.id).map((membership) => membership.groupDisplayName);
      const names = new Set(groups.map((group) => group.toLowerCase()));
      const roles = user.active ? [...new Set(mappings.filter((mapping) => names.has(mapping.group.toLowerCase())).map((mapping) => mapping.role))].sort() : [];
      return { id: user.id, user_name: user.userName, display_name: user.displayName, active: user.active, groups: groups.sort(), roles, created_at: user.createdAt };
    });
    return { items, next_cursor: fetched.length > limit ? String(offset + limit) : null };
  }

  async user(tenant: TenantRecord, id: string): Promise<DirectoryUser | null> {
    return (await this.deps.storage.tenantScope(tenant).usersByIds([id]))[0] ?? null;
  }

  async group(tenant: TenantRecord, id: string): Promise<DirectoryGroup | null> {
    return (await this.deps.storage.tenantScope(tenant).groupsByIds([id]))[0] ?? null;
  }

  userDoc(tenant: TenantRecord, user: DirectoryUser, base: string): Promise<Record<string, unknown>> {
    return userDocOf(this.deps.storage.tenantScope(tenant), user, base);
  }

  groupDoc(tenant: TenantRecord, group: DirectoryGroup, base: string): Promise<Record<string, unknown>> {
    return groupDocOf(this.deps.storage.tenantScope(tenant), group, base);
  }

  // ---- Users ----

  async createUser(who: DirectoryActor, state: UserState): Promise<DirectoryUser> {
    const { tenant } = who;
    if ((await this.deps.storage.tenantScope(tenant).userByUserName(state.userName)) !== null) {
      throw new DirectoryConflict('user_name');
    }
    const at = this.now();
    const user: DirectoryUser = { id: randomUUID(), ...state, createdAt: at, updatedAt: at, version: 1 };
    const seal = await this.sealer(who);
    await this.deps.storage.transaction(async (tx) => {
      assertWithinQuota(tenant.quotas, 'max_users', await tx.countTenantUsers(tenant));
      await tx.insertTenantUser(tenant, user);
      await this.ledger(tx, who, 'USER_PROVISIONED', { user_id: user.id, active: user.active, ...seal({ user_name: user.userName, external_id: user.externalId }) }, at);
    });
    return user;
  }

  /** Replaces a user's attributes with `compute(current)` under a row lock; ledgered; no write when nothing changes. */
  async changeUser(who: DirectoryActor, id: string, check: VersionCheck, compute: (current: DirectoryUser) => UserState): Promise<DirectoryUser> {
    const { tenant } = who;
    const at = this.now();
    const seal = await this.sealer(who);
    return this.deps.storage.transaction(async (tx) => {
      const current = await tx.tenantUserForUpdate(tenant, id);
      if (current === null) throw notFound('User', id);
      check(current.version);
      const state = compute(current);
      const changed = changedUserAttributes(current, state);
      if (changed.length === 0) {
        return current;
      }
      const next: DirectoryUser = { ...current, ...state, updatedAt: at, version: current.version + 1 };
      if (!(await tx.updateTenantUser(tenant, next))) throw notFound('User', id);
      const deactivated = current.active && !next.active;
      if (deactivated) {
        await this.ledger(tx, who, 'USER_DEACTIVATED', { user_id: id, ...seal({ user_name: next.userName }) }, at);
      }
      const others = deactivated ? changed.filter((name) => name !== 'active') : changed;
      if (others.length > 0) {
        await this.ledger(tx, who, 'USER_UPDATED', { user_id: id, changed: others, ...(others.includes('active') ? { active: next.active } : {}), ...seal({ user_name: next.userName }) }, at);
      }
      return next;
    });
  }

  async deleteUser(who: DirectoryActor, id: string, check: VersionCheck): Promise<void> {
    const at = this.now();
    const seal = await this.sealer(who);
    await this.deps.storage.transaction(async (tx) => {
      const current = await tx.tenantUserForUpdate(who.tenant, id);
      if (current === null) throw notFound('User', id);
      check(current.version);
      await tx.deleteTenantUser(who.tenant, id);
      await this.ledger(tx, who, 'USER_DELETED', { user_id: id, ...seal({ user_name: current.userName }) }, at);
    });
  }

  // ---- Groups ----

  async createGroup(who: DirectoryActor, state: GroupState): Promise<DirectoryGroup> {
    if ((await this.deps.storage.tenantScope(who.tenant).groupByDisplayName(state.displayName)) !== null) {
      throw new DirectoryConflict('group_display_name');
    }
    const at = this.now();
    const group: DirectoryGroup = { id: randomUUID(), displayName: state.displayName, externalId: state.externalId, createdAt: at, updatedAt: at, version: 1 };
    await this.deps.storage.transaction(async (tx) => {
      await this.checkMembers(tx, who, state.memberIds);
      await tx.insertTenantGroup(who.tenant, group);
      await tx.addGroupMembers(who.tenant, group.id, state.memberIds);
      await this.ledger(tx, who, 'GROUP_CREATED', { group_id: group.id, display_name: group.displayName, external_id: group.externalId, ...membershipDetails(state.memberIds, []) }, at);
    });
    return group;
  }

  /** Applies `compute(current, memberIds)` to a group under a row lock: attribute and membership changes, one version step, ledgered. */
  async changeGroup(who: DirectoryActor, id: string, check: VersionCheck, compute: (current: DirectoryGroup, memberIds: string[]) => GroupState): Promise<DirectoryGroup> {
    const { tenant } = who;
    const at = this.now();
    return this.deps.storage.transaction(async (tx) => {
      const current = await tx.tenantGroupForUpdate(tenant, id);
      if (current === null) throw notFound('Group', id);
      check(current.version);
      const before = await tx.groupMemberIds(tenant, id);
      const state = compute(current, before);
      const was = new Set(before);
      const will = new Set(state.memberIds);
      const added = state.memberIds.filter((userId) => !was.has(userId));
      const removed = before.filter((userId) => !will.has(userId));
      const changed = [
        ...(state.displayName !== current.displayName ? ['displayName'] : []),
        ...(state.externalId !== current.externalId ? ['externalId'] : []),
        ...(added.length > 0 || removed.length > 0 ? ['members'] : []),
      ];
      if (changed.length === 0) {
        return current;
      }
      await this.checkMembers(tx, who, added);
      const next: DirectoryGroup = { ...current, displayName: state.displayName, externalId: state.externalId, updatedAt: at, version: current.version + 1 };
      if (!(await tx.updateTenantGroup(tenant, next))) throw notFound('Group', id);
      await tx.addGroupMembers(tenant, id, added);
      await tx.removeGroupMembers(tenant, id, removed);
      await this.ledger(tx, who, 'GROUP_UPDATED', { group_id: id, display_name: next.displayName, changed, ...membershipDetails(added, removed) }, at);
      return next;
    });
  }

  async deleteGroup(who: DirectoryActor, id: string, check: VersionCheck): Promise<void> {
    const at = this.now();
    await this.deps.storage.transaction(async (tx) => {
      const current = await tx.tenantGroupForUpdate(who.tenant, id);
      if (current === null) throw notFound('Group', id);
      check(current.version);
      await tx.deleteTenantGroup(who.tenant, id);
      await this.ledger(tx, who, 'GROUP_DELETED', { group_id: id, display_name: current.displayName }, at);
    });
  }

  /** Checks that every new member is a user of this tenant, and keeps those users from being deleted until the transaction ends. */
  private async checkMembers(tx: WriteTx, who: DirectoryActor, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set(await tx.lockTenantUsers(who.tenant, ids));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw badRequest('invalidValue', `No user of this tenant has the id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}.`);
    }
  }

  // ---- SCIM tokens ----

  /** A SCIM token for the tenant's IdP: the plaintext is answered once, only its hash is kept. */
  async createScimToken(who: DirectoryActor, input: { name: string; expires_in_seconds?: number | undefined }): Promise<{ id: string; name: string; created_at: string; expires_at: string; token: string }> {
    const token = newToken('bhs_');
    const id = randomUUID();
    const now = this.deps.clock();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + (input.expires_in_seconds ?? DEFAULT_SCIM_TOKEN_SECONDS) * 1000).toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.createTenantToken(who.tenant, { id, kind: 'scim', name: input.name, tokenHash: hashToken(token), createdAt, expiresAt, revokedAt: null, subjectId: null });
      await this.ledger(tx, who, 'SCIM_TOKEN_CREATED', { token_id: id, name: input.name, expires_at: expiresAt }, createdAt);
    });
    return { id, name: input.name, created_at: createdAt, expires_at: expiresAt, token };
  }

  scimTokens(tenant: TenantRecord): Promise<TenantTokenRecord[]> {
    return this.deps.storage.tenantScope(tenant).tokens('scim');
  }

  async revokeScimToken(who: DirectoryActor, id: string): Promise<void> {
    const at = this.now();
    const revoked = await this.deps.storage.transaction(async (tx) => {
      const done = await tx.revokeTenantToken(who.tenant, id, 'scim', at);
      if (done) await this.ledger(tx, who, 'SCIM_TOKEN_REVOKED', { token_id: id }, at);
      return done;
    });
    if (!revoked) {
      throw new ApiError(404, 'not_found', 'This tenant has no live SCIM token with that id.');
    }
  }

  // ---- Roles and mappings ----

  /** Built-in roles first, then the tenant's custom roles. */
  async roles(tenant: TenantRecord): Promise<{ name: string; permissions: string[]; builtin: boolean }[]> {
    return withBuiltins(await this.deps.storage.tenantScope(tenant).roles());
  }

  async putRoles(who: DirectoryActor, roles: { name: string; permissions: string[] }[]): Promise<{ name: string; permissions: string[]; builtin: boolean }[]> {
    const names = roles.map((role) => role.name);
    const clash = names.find((name) => name in builtinTenantRoles);
    if (clash !== undefined) {
      throw new ApiError(400, 'invalid_request', `${clash} is a built-in role; custom roles need other names.`, { issues: [{ path: 'roles.name', message: 'built-in role name' }] });
    }
    if (new Set(names).size !== names.length) {
      throw new ApiError(400, 'invalid_request', 'Role names must be unique.', { issues: [{ path: 'roles.name', message: 'duplicate' }] });
    }
    const mapped = (await this.deps.storage.tenantScope(who.tenant).roleMappings()).map((mapping) => mapping.role).filter((role) => !(role in builtinTenantRoles) && !names.includes(role));
    if (mapped.length > 0) {
      throw new ApiError(409, 'conflict', `Role mappings still use ${[...new Set(mapped)].join(', ')}; change the mappings first.`, { roles: [...new Set(mapped)] });
    }
    const at = this.now();
    await this.deps.storage.transaction(async (tx) => {
      await tx.putTenantRoles(who.tenant, roles, at);
      await this.ledger(tx, who, 'ROLES_CHANGED', { roles }, at);
    });
    return withBuiltins(roles);
  }

  roleMappings(tenant: TenantRecord): Promise<{ group: string; role: string }[]> {
    return this.deps.storage.tenantScope(tenant).roleMappings();
  }

  /** Refuses mappings to roles the tenant does not have (built-in or custom). */
  async checkRoles(tenant: TenantRecord, mappings: { group: string; role: string }[], path: string, hint = ''): Promise<void> {
    const known = new Set([...Object.keys(builtinTenantRoles), ...(await this.deps.storage.tenantScope(tenant).roles()).map((role) => role.name)]);
    const unknown = mappings.filter((mapping) => !known.has(mapping.role)).map((mapping) => mapping.role);
    if (unknown.length > 0) {
      throw new ApiError(400, 'invalid_request', `Unknown role ${unknown.join(', ')}.${hint}`, { issues: [{ path, message: 'unknown role' }] });
    }
  }

  async putRoleMappings(who: DirectoryActor, mappings: { group: string; role: string }[]): Promise<{ group: string; role: string }[]> {
    await this.checkRoles(who.tenant, mappings, 'mappings.role', ' Define it with PUT /v1/roles first.');
    const unique = [...new Map(mappings.map((mapping) => [`${mapping.group}\u0000${mapping.role}`, mapping])).values()];
    const at = this.now();
    await this.deps.storage.transaction(async (tx) => {
      await tx.putRoleMappings(who.tenant, unique);
      await this.ledger(tx, who, 'ROLE_MAPPINGS_CHANGED', { mappings: unique }, at);
    });
    return this.roleMappings(who.tenant);
  }
}

function withBuiltins(custom: { name: string; permissions: string[] }[]): { name: string; permissions: string[]; builtin: boolean }[] {
  return [...Object.entries(builtinTenantRoles).map(([name, permissions]) => ({ name, permissions: [...permissions], builtin: true })), ...custom.map((role) => ({ ...role, builtin: false }))];
}
