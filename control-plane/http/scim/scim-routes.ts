import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedTenant } from '../../auth/tenant-auth';
import type { DirectoryActor } from '../../identity/directory-service';
import { applyPatch, parsePatchRequest } from '../../identity/scim/patch';
import { etag, groupStateDoc, project, readGroup, readUser, userStateDoc } from '../../identity/scim/resources';
import { groupResource, resourceTypeViews, schemaViews, serviceProviderConfig, userResource } from '../../identity/scim/schemas';
import { notFound, ScimError, scimErrorBody } from '../../identity/scim/scim-error';
import type { DirectoryGroup, DirectoryUser } from '../../storage/types';
import type { RouteContext } from '../context';
import { baseUrl, idParam, ifMatch, listResponse, MAX_COUNT, projection, readListQuery, SCIM_CONTENT_TYPE, scimErrorHandler } from './scim-protocol';
import { contract } from '../route-contract';
import { limitEveryRoute, requestLimits } from '../request-limits';
import { ScimIdParam, ScimListQuery, ScimListResponse, ScimResource } from '../../../contracts/scim';

export { SCIM_PREFIX } from './scim-protocol';

/**
 * The SCIM 2.0 service provider (RFC 7643/7644) of the tenant whose SCIM token (`bhs_`) is presented:
 * Users and Groups of that tenant only, through the directory service (every change in the tenant's
 * ledger in the same transaction). Registered under /scim/v2 with its own error handler, body parser
 * and 404, so SCIM clients get SCIM errors while the rest of the API keeps its envelope.
 */
export function scimRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    app.setErrorHandler(scimErrorHandler);
    limitEveryRoute(app, requestLimits.scim);
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

    const authenticate = (request: FastifyRequest): Promise<AuthenticatedTenant> => ctx.tenantAuth.authenticate(request.headers.authorization, 'scim');
    const actorOf = (who: AuthenticatedTenant): DirectoryActor => ({ tenant: who.tenant, actor: who.actor.label });

    // Discovery (RFC 7644 §4).
    app.get('/ServiceProviderConfig', contract({ summary: "SCIM: the service provider's configuration", credential: 'scim', responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request) => {
      await authenticate(request);
      return serviceProviderConfig(baseUrl(request), MAX_COUNT);
    });
    app.get('/ResourceTypes', contract({ summary: 'SCIM: SCIM resource types', credential: 'scim', responses: { 200: ScimListResponse }, mediaType: 'application/scim+json' }), async (request) => {
      await authenticate(request);
      const views = resourceTypeViews(baseUrl(request));
      return listResponse(views, views.length, 1);
    });
    app.get('/ResourceTypes/:id', contract({ summary: 'SCIM: One SCIM resource type', credential: 'scim', params: ScimIdParam, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request) => {
      await authenticate(request);
      const view = resourceTypeViews(baseUrl(request)).find((candidate) => candidate.id === (request.params as { id: string }).id);
      if (view === undefined) throw new ScimError(404, undefined, 'No such resource type.');
      return view;
    });
    app.get('/Schemas', contract({ summary: 'SCIM: SCIM schemas', credential: 'scim', responses: { 200: ScimListResponse }, mediaType: 'application/scim+json' }), async (request) => {
      await authenticate(request);
      const views = schemaViews(baseUrl(request));
      return listResponse(views, views.length, 1);
    });
    app.get('/Schemas/:id', contract({ summary: 'SCIM: One SCIM schema', credential: 'scim', params: ScimIdParam, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request) => {
      await authenticate(request);
      const view = schemaViews(baseUrl(request)).find((candidate) => candidate.id === (request.params as { id: string }).id);
      if (view === undefined) throw new ScimError(404, undefined, 'No such schema.');
      return view;
    });

    // ---- Users ----

    const sendUser = async (request: FastifyRequest, reply: FastifyReply, who: AuthenticatedTenant, user: DirectoryUser, status = 200) => {
      const base = baseUrl(request);
      const doc = await ctx.directory.userDoc(who.tenant, user, base);
      const { attributes, excludedAttributes } = projection(request.query);
      void reply.code(status).header('etag', etag(user.version));
      if (status === 201) void reply.header('location', `${base}/Users/${user.id}`);
      return project(doc, userResource, attributes, excludedAttributes);
    };

    app.get('/Users', contract({ summary: 'SCIM: List or filter users', credential: 'scim', query: ScimListQuery, responses: { 200: ScimListResponse }, mediaType: 'application/scim+json' }), async (request) => {
      const { tenant } = await authenticate(request);
      const query = readListQuery(request.query);
      const { docs, total } = await ctx.directory.listUsers(tenant, query, baseUrl(request));
      return listResponse(
        docs.map((doc) => project(doc, userResource, query.attributes, query.excludedAttributes)),
        total,
        query.startIndex,
      );
    });

    app.get('/Users/:id', contract({ summary: 'SCIM: One user', credential: 'scim', params: ScimIdParam, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const user = await ctx.directory.user(who.tenant, id);
      if (user === null) throw notFound('User', id);
      return sendUser(request, reply, who, user);
    });

    app.post('/Users', contract({ summary: 'SCIM: Provision a user', credential: 'scim', body: ScimResource, responses: { 201: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const state = readUser(request.body, { body: true });
      return sendUser(request, reply, who, await ctx.directory.createUser(actorOf(who), state), 201);
    });

    app.put('/Users/:id', contract({ summary: 'SCIM: Replace a user', credential: 'scim', params: ScimIdParam, body: ScimResource, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const state = readUser(request.body, { body: true });
      return sendUser(request, reply, who, await ctx.directory.changeUser(actorOf(who), id, ifMatch(request), () => state));
    });

    app.patch('/Users/:id', contract({ summary: 'SCIM: Patch a user (add, replace, remove)', credential: 'scim', params: ScimIdParam, body: ScimResource, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      const operations = parsePatchRequest(request.body, userResource);
      const user = await ctx.directory.changeUser(actorOf(who), id, ifMatch(request), (current) => readUser(applyPatch(userStateDoc(current), operations), { body: false }));
      return sendUser(request, reply, who, user);
    });

    app.delete('/Users/:id', contract({ summary: 'SCIM: Delete a user (its sessions end)', credential: 'scim', params: ScimIdParam, responses: { 204: null }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'User');
      await ctx.directory.deleteUser(actorOf(who), id, ifMatch(request));
      return reply.code(204).send();
    });

    // ---- Groups ----

    const sendGroup = async (request: FastifyRequest, reply: FastifyReply, who: AuthenticatedTenant, group: DirectoryGroup, status = 200) => {
      const base = baseUrl(request);
      const doc = await ctx.directory.groupDoc(who.tenant, group, base);
      const { attributes, excludedAttributes } = projection(request.query);
      void reply.code(status).header('etag', etag(group.version));
      if (status === 201) void reply.header('location', `${base}/Groups/${group.id}`);
      return project(doc, groupResource, attributes, excludedAttributes);
    };

    app.get('/Groups', contract({ summary: 'SCIM: List or filter groups', credential: 'scim', query: ScimListQuery, responses: { 200: ScimListResponse }, mediaType: 'application/scim+json' }), async (request) => {
      const { tenant } = await authenticate(request);
      const query = readListQuery(request.query);
      const { docs, total } = await ctx.directory.listGroups(tenant, query, baseUrl(request));
      return listResponse(
        docs.map((doc) => project(doc, groupResource, query.attributes, query.excludedAttributes)),
        total,
        query.startIndex,
      );
    });

    app.get('/Groups/:id', contract({ summary: 'SCIM: One group', credential: 'scim', params: ScimIdParam, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const group = await ctx.directory.group(who.tenant, id);
      if (group === null) throw notFound('Group', id);
      return sendGroup(request, reply, who, group);
    });

    app.post('/Groups', contract({ summary: 'SCIM: Create a group', credential: 'scim', body: ScimResource, responses: { 201: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const state = readGroup(request.body, { body: true });
      return sendGroup(request, reply, who, await ctx.directory.createGroup(actorOf(who), state), 201);
    });

    app.put('/Groups/:id', contract({ summary: 'SCIM: Replace a group', credential: 'scim', params: ScimIdParam, body: ScimResource, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const state = readGroup(request.body, { body: true });
      return sendGroup(request, reply, who, await ctx.directory.changeGroup(actorOf(who), id, ifMatch(request), () => state));
    });

    app.patch('/Groups/:id', contract({ summary: 'SCIM: Patch a group (members too)', credential: 'scim', params: ScimIdParam, body: ScimResource, responses: { 200: ScimResource }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      const operations = parsePatchRequest(request.body, groupResource);
      const group = await ctx.directory.changeGroup(actorOf(who), id, ifMatch(request), (current, memberIds) => readGroup(applyPatch(groupStateDoc(current, memberIds), operations), { body: false }));
      return sendGroup(request, reply, who, group);
    });

    app.delete('/Groups/:id', contract({ summary: 'SCIM: Delete a group', credential: 'scim', params: ScimIdParam, responses: { 204: null }, mediaType: 'application/scim+json' }), async (request, reply) => {
      const who = await authenticate(request);
      const id = idParam(request, 'Group');
      await ctx.directory.deleteGroup(actorOf(who), id, ifMatch(request));
      return reply.code(204).send();
    });

    return Promise.resolve();
  };
}
