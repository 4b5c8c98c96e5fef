import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Uuid } from '../../../contracts/common';
import { CreateScimTokenRequest, PutRolesRequest, RoleMappings } from '../../../contracts/tenant-directory';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';

const TokenParams = z.strictObject({ id: Uuid });

/**
 * The tenant's own directory settings, for its admins: SCIM tokens (plaintext shown once, only the
 * hash stored, revocation immediate), custom roles, and group → role mappings (identity/directory-service.ts).
 */
export function directoryRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/directory/scim-tokens', async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(CreateScimTokenRequest, request.body);
      return reply.code(201).send(await ctx.directory.createScimToken({ tenant, actor: actor.label }, body));
    });

    app.get('/v1/directory/scim-tokens', async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const tokens = await ctx.directory.scimTokens(tenant);
      return {
        items: tokens.map((token) => ({ id: token.id, name: token.name, created_at: token.createdAt, expires_at: token.expiresAt, revoked_at: token.revokedAt })),
        next_cursor: null,
      };
    });

    app.delete('/v1/directory/scim-tokens/:id', async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const { id } = parseWith(TokenParams, request.params, 'path');
      await ctx.directory.revokeScimToken({ tenant, actor: actor.label }, id);
      return reply.code(204).send();
    });

    app.get('/v1/roles', async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'users:read');
      return { roles: await ctx.directory.roles(tenant) };
    });

    app.put('/v1/roles', async (request) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'roles:write');
      const body = parseWith(PutRolesRequest, request.body);
      return { roles: await ctx.directory.putRoles({ tenant, actor: actor.label }, body.roles) };
    });

    app.get('/v1/directory/role-mappings', async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'users:read');
      return { mappings: await ctx.directory.roleMappings(tenant) };
    });

    app.put('/v1/directory/role-mappings', async (request) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(RoleMappings, request.body);
      return { mappings: await ctx.directory.putRoleMappings({ tenant, actor: actor.label }, body.mappings) };
    });
    return Promise.resolve();
  };
}
