import type { DirectoryGroup, DirectoryMembership, DirectoryUser, TenantScope } from '../../storage/types';
import { indexedLookup, matches, parseFilter, resourceScope } from './filter';
import { groupDoc, userDoc } from './resources';
import { groupResource, userResource } from './schemas';

type Doc = Record<string, unknown>;

/** A SCIM list request after parsing: filter text, 1-based start, page size. */
export interface ListRequest {
  filter: string | undefined;
  startIndex: number;
  count: number;
}

function groupBy(memberships: DirectoryMembership[], key: 'userId' | 'groupId'): Map<string, DirectoryMembership[]> {
  const map = new Map<string, DirectoryMembership[]>();
  for (const membership of memberships) {
    const list = map.get(membership[key]) ?? [];
    list.push(membership);
    map.set(membership[key], list);
  }
  return map;
}

/** A user as SCIM shows it (with its groups). */
export async function userDocOf(scope: TenantScope, user: DirectoryUser, base: string): Promise<Doc> {
  return userDoc(user, await scope.memberships({ userIds: [user.id] }), base);
}

/** A group as SCIM shows it (with its members). */
export async function groupDocOf(scope: TenantScope, group: DirectoryGroup, base: string): Promise<Doc> {
  return groupDoc(group, await scope.memberships({ groupIds: [group.id] }), base);
}

/**
 * A page of the tenant's users as SCIM documents, filtered (RFC 7644 §3.4.2.2). An equality filter on
 * an indexed attribute (id, userName, externalId) reads only its candidates; any other reads them all.
 */
export async function listUsers(scope: TenantScope, request: ListRequest, base: string): Promise<{ docs: Doc[]; total: number }> {
  const docsOf = async (users: DirectoryUser[], all: boolean) => {
    const memberships = groupBy(await (all ? scope.memberships() : scope.memberships({ userIds: users.map((user) => user.id) })), 'userId');
    return users.map((user) => userDoc(user, memberships.get(user.id) ?? [], base));
  };
  if (request.filter === undefined) {
    const total = (await scope.counts()).users;
    return { total, docs: request.count === 0 ? [] : await docsOf(await scope.users({ offset: request.startIndex - 1, limit: request.count }), false) };
  }
  const filter = parseFilter(request.filter, resourceScope(userResource));
  const lookup = indexedLookup(filter, userResource);
  const candidates =
    lookup === null
      ? await scope.users()
      : lookup.attribute === 'id'
        ? await scope.usersByIds([lookup.value])
        : lookup.attribute === 'userName'
          ? [await scope.userByUserName(lookup.value)].filter((user): user is DirectoryUser => user !== null)
          : await scope.usersByExternalId(lookup.value);
  const matched = (await docsOf(candidates, lookup === null)).filter((doc) => matches(filter, doc));
  return { total: matched.length, docs: matched.slice(request.startIndex - 1, request.startIndex - 1 + request.count) };
}

/** A page of the tenant's groups as SCIM documents, filtered like listUsers (indexed: id, displayName, externalId). */
export async function listGroups(scope: TenantScope, request: ListRequest, base: string): Promise<{ docs: Doc[]; total: number }> {
  const docsOf = async (groups: DirectoryGroup[], all: boolean) => {
    const memberships = groupBy(await (all ? scope.memberships() : scope.memberships({ groupIds: groups.map((group) => group.id) })), 'groupId');
    return groups.map((group) => groupDoc(group, memberships.get(group.id) ?? [], base));
  };
  if (request.filter === undefined) {
    const total = await scope.groupCount();
    return { total, docs: request.count === 0 ? [] : await docsOf(await scope.groups({ offset: request.startIndex - 1, limit: request.count }), false) };
  }
  const filter = parseFilter(request.filter, resourceScope(groupResource));
  const lookup = indexedLookup(filter, groupResource);
  const candidates =
    lookup === null
      ? await scope.groups()
      : lookup.attribute === 'id'
        ? await scope.groupsByIds([lookup.value])
        : lookup.attribute === 'displayName'
          ? [await scope.groupByDisplayName(lookup.value)].filter((group): group is DirectoryGroup => group !== null)
          : await scope.groupsByExternalId(lookup.value);
  const matched = (await docsOf(candidates, lookup === null)).filter((doc) => matches(filter, doc));
  return { total: matched.length, docs: matched.slice(request.startIndex - 1, request.startIndex - 1 + request.count) };
}
