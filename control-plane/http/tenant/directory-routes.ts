import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, Uuid } from '../../../contracts/common';
import { CreateScimTokenRequest, DirectoryUsersQuery, DirectoryUserView, PutRolesRequest, RoleMappings, RolesView, ScimTokenCreated, ScimTokenView } from '../../../contracts/tenant-directory';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

const TokenParams = z.strictObject({ id: Uuid });

/**
 * The tenant's own directory settings, for its admins: SCIM tokens (plaintext shown once, only the
 * hash stored, revocation immediate), custom roles, and group → role mappings (identity/directory-service.ts).
 */
export function directoryRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/directory/scim-tokens', contract({ summary: "Mint a SCIM token for the tenant's IdP (shown once)", credential: 'tenant', body: CreateScimTokenRequest, responses: { 201: ScimTokenCreated } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(CreateScimTokenRequest, request.body);
      return reply.code(201).send(await ctx.directory.createScimToken({ tenant, actor: actor.label }, body));
    });

    app.get('/v1/directory/scim-tokens', contract({ summary: 'The tenant\'s SCIM tokens (never their plaintext)', credential: 'tenant', responses: { 200: pageOf(ScimTokenView) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const tokens = await ctx.directory.scimTokens(tenant);
      return {
        items: tokens.map((token) => ({ id: token.id, name: token.name, created_at: token.createdAt, expires_at: token.expiresAt, revoked_at: token.revokedAt })),
        next_cursor: null,
      };
    });

    app.delete('/v1/directory/scim-tokens/:id', contract({ summary: 'Revoke a SCIM token at once', credential: 'tenant', params: TokenParams, responses: { 204: null } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const { id } = parseWith(TokenParams, request.params, 'path');
      await ctx.directory.revokeScimToken({ tenant, actor: actor.label }, id);
      return reply.code(204).send();
    });

    app.get('/v1/directory/users', contract({ summary: "The tenant's users with their groups and roles (read-only; SCIM changes them)", credential: 'tenant', query: DirectoryUsersQuery, responses: { 200: pageOf(DirectoryUserView) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'users:read');
      const { limit, cursor } = parseWith(DirectoryUsersQuery, request.query, 'query');
      return ctx.directory.usersPage(tenant, cursor === undefined ? 0 : Number(cursor), limit);
    });

    app.get('/v1/roles', contract({ summary: 'Built-in and custom roles', credential: 'tenant', responses: { 200: RolesView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'users:read');
      return { roles: await ctx.directory.roles(tenant) };
    });

    app.put('/v1/roles', contract({ summary: 'Replace the custom roles', credential: 'tenant', body: PutRolesRequest, responses: { 200: RolesView } }), async (request) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'roles:write');
      const body = parseWith(PutRolesRequest, request.body);
      return { roles: await ctx.directory.putRoles({ tenant, actor: actor.label }, body.roles) };
    });

    app.get('/v1/directory/role-mappings', contract({ summary: 'Group → role mappings', credential: 'tenant', responses: { 200: RoleMappings } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'users:read');
      return { mappings: await ctx.directory.roleMappings(tenant) };
    });

    app.put('/v1/directory/role-mappings', contract({ summary: 'Replace the group → role mappings', credential: 'tenant', body: RoleMappings, responses: { 200: RoleMappings } }), async (request) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(RoleMappings, request.body);
      return { mappings: await ctx.directory.putRoleMappings({ tenant, actor: actor.label }, body.mappings) };
    });
    return Promise.resolve();
  };
}
