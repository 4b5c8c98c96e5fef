import { randomUUID } from 'node:crypto';
import { personalSealer } from '../audit/ledger-personal';
import { TenantCrypto } from '../tenancy/tenant-keys';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tenantLedger } from '../audit/ledger-ids';
import type { AuthenticatedTenant, TenantAuth } from '../auth/tenant-auth';
import { indexedLookup, parseFilter, matches, resourceScope } from '../identity/scim/filter';
import { applyPatch, parsePatchRequest } from '../identity/scim/patch';
import {
  changedUserAttributes,
  etag,
  groupDoc,
  groupStateDoc,
  project,
  readGroup,
  readUser,
  userDoc,
  userStateDoc,
  type GroupState,
  type UserState,
} from '../identity/scim/resources';
import { badRequest, ScimError, scimErrorBody } from '../identity/scim/scim-error';
import { groupResource, LIST_RESPONSE_SCHEMA, resourceTypeViews, schemaViews, serviceProviderConfig, userResource } from '../identity/scim/schemas';
import { DirectoryConflict, type DirectoryGroup, type DirectoryMembership, type DirectoryUser, type TenantScope, type WriteTx } from '../storage/types';
import { assertWithinQuota } from '../tenancy/quota-check';
import type { ProviderContext } from './context';
import { ApiError } from './errors';

export const SCIM_PREFIX = '/scim/v2';
const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** Page size without `count`, and the most one page returns (ServiceProviderConfig filter.maxResults). */
const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;

interface ListQuery {
  filter: string | undefined;
  startIndex: number;
  count: number;
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
}

type Doc = Record<string, unknown>;

/** A query parameter by name, case-insensitively; a repeated parameter is refused. */
function queryParam(query: unknown, name: string): string | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const entry = Object.entries(query).find(([key]) => key.toLowerCase() === name.toLowerCase());
  if (entry === undefined) return undefined;
  const value: unknown = entry[1];
  if (typeof value !== 'string') {
    throw badRequest('invalidValue', `Give ${name} once.`);
  }
  return value;
}

function integerParam(query: unknown, name: string): number | undefined {
  const value = queryParam(query, name);
  if (value === undefined) return undefined;
  if (!/^\s*[-+]?\d{1,12}\s*$/.test(value)) {
    throw badRequest('invalidValue', `${name} must be an integer.`);
  }
  return Number(value);
}

function listParam(query: unknown, name: string): string[] | undefined {
  const value = queryParam(query, name);
  return value === undefined ? undefined : value.split(',').filter((entry) => entry.trim() !== '');
}

/** RFC 7644 §3.4.2.4: startIndex below 1 counts as 1, a negative count as 0; count is capped at maxResults. */
function readListQuery(query: unknown): ListQuery {
  const startIndex = Math.max(1, integerParam(query, 'startIndex') ?? 1);
  const count = Math.min(MAX_COUNT, Math.max(0, integerParam(query, 'count') ?? DEFAULT_COUNT));
  return { filter: queryParam(query, 'filter'), startIndex, count, attributes: listParam(query, 'attributes'), excludedAttributes: listParam(query, 'excludedAttributes') };
}

function projection(query: unknown): { attributes: string[] | undefined; excludedAttributes: string[] | undefined } {
  return { attributes: listParam(query, 'attributes'), excludedAttributes: listParam(query, 'excludedAttributes') };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(kind: 'User' | 'Group', id: string): ScimError {
  return new ScimError(404, undefined, `${kind} ${id.slice(0, 64)} not found.`);
}

/** The `id` path parameter; anything that is not one of our ids is simply not found. */
function idParam(request: FastifyRequest, kind: 'User' | 'Group'): string {
  const id = (request.params as { id?: unknown }).id;
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw notFound(kind, typeof id === 'string' ? id : '');
  }
  return id.toLowerCase();
}

/** If-Match (RFC 7644 §3.14): a stale version is 412 and nothing changes. */
function checkIfMatch(request: FastifyRequest, version: number): void {
  const header = request.headers['if-match'];
  if (header === undefined) return;
  const wanted = (Array.isArray(header) ? header.join(',') : header).split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (!wanted.includes('*') && !wanted.includes(`"${version}"`)) {
    throw new ScimError(412, undefined, `The resource has changed: its version is now ${etag(version)}.`);
  }
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SCIM_PREFIX}`;
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

function listResponse(resources: Doc[], total: number, startIndex: number): Doc {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, itemsPerPage: resources.length, startIndex, Resources: resources };
}

/** Maps everything a SCIM route throws to the SCIM error schema (RFC 7644 §3.12); the rest of the API keeps its envelope. */
function scimErrorHandler(error: FastifyError | ApiError | ScimError | DirectoryConflict, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ScimError) {
    void reply.code(error.status).send(scimErrorBody(error.status, error.message, error.scimType));
    return;
  }
  if (error instanceof DirectoryConflict) {
    void reply.code(409).send(scimErrorBody(409, error.constraint === 'user_name' ? 'A user with this userName already exists.' : 'A group with this displayName already exists.', 'uniqueness'));
    return;
  }
  if (error instanceof ApiError) {
    // quota_exceeded, unauthorized, tenant_suspended...: the status as is, the contract's code named in the detail.
    if (error.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="scim"');
    void reply.code(error.statusCode).headers(error.headers).send(scimErrorBody(error.statusCode, `${error.code}: ${error.message}`));
    return;
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const syntax = error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
    void reply.code(status).send(scimErrorBody(status, syntax ? 'The body is not valid JSON.' : error.message, syntax ? 'invalidSyntax' : undefined));
    return;
  }
  request.log.error({ err: error }, 'unhandled error in a SCIM route');
  void reply.code(500).send(scimErrorBody(500, 'The control plane hit an unexpected error; it has been logged.'));
}

/**
 * The SCIM 2.0 service provider (RFC 7643/7644) of the tenant whose SCIM token (`bhs_`) is
 * presented: Users and Groups of that tenant only, stored through its tenant scope, every change
 * written to the tenant's ledger in the same transaction. Registered under /scim/v2 with its own
 * error handler, body parser and 404, so SCIM clients get SCIM errors while the rest of the API
 * keeps its envelope.
 */
export function scimRoutes(ctx: ProviderContext, tenantAuth: TenantAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    app.setErrorHandler(scimErrorHandler);
    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send(scimErrorBody(404, `No SCIM endpoint ${request.method} ${request.url.split('?')[0] ?? ''}.`));
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) {
        void reply.header('content-type', SCIM_CONTENT_TYPE);
      }
      return payload;
    });

    const authenticate = (request: FastifyRequest): Promise<AuthenticatedTenant> => tenantAuth.authenticate(request.headers.authorization, 'scim');
    const now = () => ctx.clock().toISOString();
    const ledger = (tx: WriteTx, who: AuthenticatedTenant, eventType: string, details: Record<string, unknown>, at: string) =>
      tx.appendLedger(tenantLedger(who.tenant.id), { actor: who.actor.label, eventType, tenantId: who.tenant.id, details }, at);
    // What a ledger entry says of a person (userName, externalId) is sealed with the tenant's key (see ledger-personal.ts).
    const crypto = new TenantCrypto(ctx.storage, ctx.deploymentKey);
    const sealerFor = (who: AuthenticatedTenant) => personalSealer(crypto, who.tenant.id);

    // Discovery (RFC 7644 §4).
    app.get('/ServiceProviderConfig', async (request) => {
      await authenticate(request);
      return serviceProviderConfig(baseUrl(request), MAX_COUNT);
    });
    app.get('/ResourceTypes', async (request) => {
      await authenticate(request);
      const views = resourceTypeViews(baseUrl(request));
      return listResponse(views, views.length, 1);
    });
    app.get('/ResourceTypes/:id', async (request) => {
      await authenticate(request);
      const view = resourceTypeViews(baseUrl(request)).find((candidate) => candidate.id === (request.params as { id: string }).id);
      if (view === undefined) throw new ScimError(404, undefined, 'No such resource type.');
      return view;
    });
    app.get('/Schemas', async (request) => {
      await authenticate(request);
      const views = schemaViews(baseUrl(request));
      return listResponse(views, views.length, 1);
    });
    app.get('/Schemas/:id', async (request) => {
      await authenticate(request);
      const view = schemaViews(baseUrl(request)).find((candidate) => candidate.id === (request.params as { id: string }).id);
      if (view === undefined) throw new ScimError(404, undefined, 'No such schema.');
      return view;
    });

    // ---- Users ----

    const sendUser = async (request: FastifyRequest, reply: FastifyReply, scope: TenantScope, user: DirectoryUser, status = 200) => {
      const base = baseUrl(request);
      const doc = userDoc(user, await scope.memberships({ userIds: [user.id] }), base);
      const { attributes, excludedAttributes } = projection(request.query);
      void reply.code(status).header('etag', etag(user.version));
      if (status === 201) void reply.header('location', `${base}/Users/${user.id}`);
      return project(doc, userResource, attributes, excludedAttributes);
    };

    app.get('/Users', async (request) => {
      const { tenant } = await authenticate(request);
      const query = readListQuery(request.query);
      const scope = ctx.storage.tenantScope(tenant);
      const base = baseUrl(request);
      const docsOf = async (users: DirectoryUser[], all: boolean) => {
        const memberships = groupBy(await (all ? scope.memberships() : scope.memberships({ userIds: users.map((user) => user.id) })), 'userId');
        return users.map((user) => userDoc(user, memberships.get(user.id) ?? [], base));
      };
      let total: number;
      let page: Doc[];
      if (query.filter === undefined) {
        total = (await scope.counts()).users;
        page = query.count === 0 ? [] : await docsOf(await scope.users({ offset: query.startIndex - 1, limit: query.count }), false);
      } else {
        const filter = parseFilter(query.filter, resourceScope(userResource));
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
        total = matched.length;
        page = matched.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
      }
      return listResponse(
        page.map((doc) => project(doc, userResource, query.attributes, query.excludedAttributes)),
        total,
        query.startIndex,
      );
    });

    app.get('/Users/:id', async (request, reply) => {
      const { tenant } = await authenticate(request);
      const id = idParam(request, 'User');
      const scope = ctx.storage.tenantScope(tenant);
      const [user] = await scope.usersByIds([id]);
      if (user === undefined) throw notFound('User', id);
      return sendUser(request, reply, scope, user);
    });

    app.post('/Users', async (request, reply) => {
      const who = await authenticate(request);
      const { tenant } = who;
      const state = readUser(request.body, { body: true });
      const scope = ctx.storage.tenantScope(tenant);
      if ((await scope.userByUserName(state.userName)) !== null) {
        throw new DirectoryConflict('user_name');
      }
      const at = now();
      const user: DirectoryUser = { id: randomUUID(), ...state, createdAt: at, updatedAt: at, version: 1 };
      const seal = await sealerFor(who);
      await ctx.storage.transaction(async (tx) => {
        assertWithinQuota(tenant.quotas, 'max_users', await tx.countTenantUsers(tenant));
        await tx.insertTenantUser(tenant, user);
        await ledger(tx, who, 'USER_PROVISIONED', { user_id: user.id, active: user.active, ...seal({ user_name: user.userName, external_id: user.externalId }) }, at);
      });
      return sendUser(request, reply, scope, user, 201);
    });

    /** Replaces a user's attributes with `compute(current)` under a row lock; ledgered; no write when nothing changes. */
    const changeUser = async (request: FastifyRequest, who: AuthenticatedTenant, id: string, compute: (current: DirectoryUser) => UserState): Promise<DirectoryUser> => {
      const { tenant } = who;
      const at = now();
      const seal = await sealerFor(who);
      return ctx.storage.transaction(async (tx) => {
        const current = await tx.tenantUserForUpdate(tenant, id);
        if (current === null) throw notFound('User', id);
        checkIfMatch(request, current.version);
        const state = compute(current);
        const changed = changedUserAttributes(current, state);
        if (changed.length === 0) {
          return current;
        }
        const next: DirectoryUser = { ...current, ...state, updatedAt: at, version: current.version + 1 };
        if (!(await tx.updateTenantUser(tenant, next))) throw notFound('User', id);
        const deactivated = current.active && !next.active;
        if (deactivated) {
          await ledger(tx, who, 'USER_DEACTIVATED', { user_id: id, ...seal({ user_name: next.userName }) }, at);
        }
        const others = deactivated ? changed.filter((name) => name !== 'active') : changed;
        if (others.length > 0) {
          await ledger(tx, who, 'USER_UPDATED', { user_id: id, changed: others, ...(others.includes('active') ? { active: next.active } : {}), ...seal({ user_name: next.userName }) }, at);
        }
        return next;
      });
    };

    app.put('/Users/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const state = readUser(request.body, { body: true });
      const user = await changeUser(request, who, id, () => state);
      return sendUser(request, reply, ctx.storage.tenantScope(who.tenant), user);
    });

    app.patch('/Users/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const operations = parsePatchRequest(request.body, userResource);
      const user = await changeUser(request, who, id, (current) => readUser(applyPatch(userStateDoc(current), operations), { body: false }));
      return sendUser(request, reply, ctx.storage.tenantScope(who.tenant), user);
    });

    app.delete('/Users/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const at = now();
      const seal = await sealerFor(who);
      await ctx.storage.transaction(async (tx) => {
        const current = await tx.tenantUserForUpdate(who.tenant, id);
        if (current === null) throw notFound('User', id);
        checkIfMatch(request, current.version);
        await tx.deleteTenantUser(who.tenant, id);
        await ledger(tx, who, 'USER_DELETED', { user_id: id, ...seal({ user_name: current.userName }) }, at);
      });
      return reply.code(204).send();
    });

    // ---- Groups ----

    const sendGroup = async (request: FastifyRequest, reply: FastifyReply, scope: TenantScope, group: DirectoryGroup, status = 200) => {
      const base = baseUrl(request);
      const doc = groupDoc(group, await scope.memberships({ groupIds: [group.id] }), base);
      const { attributes, excludedAttributes } = projection(request.query);
      void reply.code(status).header('etag', etag(group.version));
      if (status === 201) void reply.header('location', `${base}/Groups/${group.id}`);
      return project(doc, groupResource, attributes, excludedAttributes);
    };

    /** Checks that every new member is a user of this tenant, and keeps those users from being deleted until the transaction ends. */
    const checkMembers = async (tx: WriteTx, who: AuthenticatedTenant, ids: string[]) => {
      if (ids.length === 0) return;
      const found = new Set(await tx.lockTenantUsers(who.tenant, ids));
      const unknown = ids.filter((id) => !found.has(id));
      if (unknown.length > 0) {
        throw badRequest('invalidValue', `No user of this tenant has the id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}.`);
      }
    };

    const membershipDetails = (added: string[], removed: string[]) => ({
      members_added: added.slice(0, 100),
      members_removed: removed.slice(0, 100),
      ...(added.length > 100 || removed.length > 100 ? { members_added_count: added.length, members_removed_count: removed.length } : {}),
    });

    app.get('/Groups', async (request) => {
      const { tenant } = await authenticate(request);
      const query = readListQuery(request.query);
      const scope = ctx.storage.tenantScope(tenant);
      const base = baseUrl(request);
      const docsOf = async (groups: DirectoryGroup[], all: boolean) => {
        const memberships = groupBy(await (all ? scope.memberships() : scope.memberships({ groupIds: groups.map((group) => group.id) })), 'groupId');
        return groups.map((group) => groupDoc(group, memberships.get(group.id) ?? [], base));
      };
      let total: number;
      let page: Doc[];
      if (query.filter === undefined) {
        total = await scope.groupCount();
        page = query.count === 0 ? [] : await docsOf(await scope.groups({ offset: query.startIndex - 1, limit: query.count }), false);
      } else {
        const filter = parseFilter(query.filter, resourceScope(groupResource));
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
        total = matched.length;
        page = matched.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
      }
      return listResponse(
        page.map((doc) => project(doc, groupResource, query.attributes, query.excludedAttributes)),
        total,
        query.startIndex,
      );
    });

    app.get('/Groups/:id', async (request, reply) => {
      const { tenant } = await authenticate(request);
      const id = idParam(request, 'Group');
      const scope = ctx.storage.tenantScope(tenant);
      const [group] = await scope.groupsByIds([id]);
      if (group === undefined) throw notFound('Group', id);
      return sendGroup(request, reply, scope, group);
    });

    app.post('/Groups', async (request, reply) => {
      const who = await authenticate(request);
      const state = readGroup(request.body, { body: true });
      const scope = ctx.storage.tenantScope(who.tenant);
      if ((await scope.groupByDisplayName(state.displayName)) !== null) {
        throw new DirectoryConflict('group_display_name');
      }
      const at = now();
      const group: DirectoryGroup = { id: randomUUID(), displayName: state.displayName, externalId: state.externalId, createdAt: at, updatedAt: at, version: 1 };
      await ctx.storage.transaction(async (tx) => {
        await checkMembers(tx, who, state.memberIds);
        await tx.insertTenantGroup(who.tenant, group);
        await tx.addGroupMembers(who.tenant, group.id, state.memberIds);
        await ledger(tx, who, 'GROUP_CREATED', { group_id: group.id, display_name: group.displayName, external_id: group.externalId, ...membershipDetails(state.memberIds, []) }, at);
      });
      return sendGroup(request, reply, scope, group, 201);
    });

    /** Applies `compute(current, memberIds)` to a group under a row lock: attribute and membership changes, one version step, ledgered. */
    const changeGroup = async (request: FastifyRequest, who: AuthenticatedTenant, id: string, compute: (current: DirectoryGroup, memberIds: string[]) => GroupState): Promise<DirectoryGroup> => {
      const { tenant } = who;
      const at = now();
      return ctx.storage.transaction(async (tx) => {
        const current = await tx.tenantGroupForUpdate(tenant, id);
        if (current === null) throw notFound('Group', id);
        checkIfMatch(request, current.version);
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
        await checkMembers(tx, who, added);
        const next: DirectoryGroup = { ...current, displayName: state.displayName, externalId: state.externalId, updatedAt: at, version: current.version + 1 };
        if (!(await tx.updateTenantGroup(tenant, next))) throw notFound('Group', id);
        await tx.addGroupMembers(tenant, id, added);
        await tx.removeGroupMembers(tenant, id, removed);
        await ledger(tx, who, 'GROUP_UPDATED', { group_id: id, display_name: next.displayName, changed, ...membershipDetails(added, removed) }, at);
        return next;
      });
    };

    app.put('/Groups/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const state = readGroup(request.body, { body: true });
      const group = await changeGroup(request, who, id, () => state);
      return sendGroup(request, reply, ctx.storage.tenantScope(who.tenant), group);
    });

    app.patch('/Groups/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const operations = parsePatchRequest(request.body, groupResource);
      const group = await changeGroup(request, who, id, (current, memberIds) => readGroup(applyPatch(groupStateDoc(current, memberIds), operations), { body: false }));
      return sendGroup(request, reply, ctx.storage.tenantScope(who.tenant), group);
    });

    app.delete('/Groups/:id', async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const at = now();
      await ctx.storage.transaction(async (tx) => {
        const current = await tx.tenantGroupForUpdate(who.tenant, id);
        if (current === null) throw notFound('Group', id);
        checkIfMatch(request, current.version);
        await tx.deleteTenantGroup(who.tenant, id);
        await ledger(tx, who, 'GROUP_DELETED', { group_id: id, display_name: current.displayName }, at);
      });
      return reply.code(204).send();
    });

    return Promise.resolve();
  };
}
