import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Uuid } from '../../contracts/common';
import { builtinTenantRoles, CreateScimTokenRequest, PutRolesRequest, RoleMappings } from '../../contracts/tenant-directory';
import { tenantLedger } from '../audit/ledger-ids';
import type { TenantAuth } from '../auth/tenant-auth';
import { hashToken, newToken } from '../auth/tokens';
import { ApiError } from './errors';
import type { ProviderContext } from './context';
import { parseWith } from './validation';

const TokenParams = z.strictObject({ id: Uuid });
const DEFAULT_SCIM_TOKEN_SECONDS = 365 * 24 * 3600;

/**
 * The tenant's own directory settings, for its admins: SCIM tokens (plaintext shown once, only the
 * hash stored, revocation immediate), custom roles, and group → role mappings. Every change is
 * written to the tenant's ledger in the same transaction.
 */
export function tenantDirectoryRoutes(ctx: ProviderContext, tenantAuth: TenantAuth) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/v1/directory/scim-tokens', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(CreateScimTokenRequest, request.body);
      const token = newToken('bhs_');
      const id = randomUUID();
      const now = ctx.clock();
      const createdAt = now.toISOString();
      const expiresAt = new Date(now.getTime() + (body.expires_in_seconds ?? DEFAULT_SCIM_TOKEN_SECONDS) * 1000).toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.createTenantToken(tenant, { id, kind: 'scim', name: body.name, tokenHash: hashToken(token), createdAt, expiresAt, revokedAt: null, subjectId: null });
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'SCIM_TOKEN_CREATED', tenantId: tenant.id, details: { token_id: id, name: body.name, expires_at: expiresAt } }, createdAt);
      });
      return reply.code(201).send({ id, name: body.name, created_at: createdAt, expires_at: expiresAt, token });
    });

    app.get('/v1/directory/scim-tokens', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const tokens = await ctx.storage.tenantScope(tenant).tokens('scim');
      return {
        items: tokens.map((token) => ({ id: token.id, name: token.name, created_at: token.createdAt, expires_at: token.expiresAt, revoked_at: token.revokedAt })),
        next_cursor: null,
      };
    });

    app.delete('/v1/directory/scim-tokens/:id', async (request, reply) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const { id } = parseWith(TokenParams, request.params, 'path');
      const at = ctx.clock().toISOString();
      const revoked = await ctx.storage.transaction(async (tx) => {
        const done = await tx.revokeTenantToken(tenant, id, 'scim', at);
        if (done) {
          await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'SCIM_TOKEN_REVOKED', tenantId: tenant.id, details: { token_id: id } }, at);
        }
        return done;
      });
      if (!revoked) {
        throw new ApiError(404, 'not_found', 'This tenant has no live SCIM token with that id.');
      }
      return reply.code(204).send();
    });

    app.get('/v1/roles', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'users:read');
      const custom = await ctx.storage.tenantScope(tenant).roles();
      return {
        roles: [
          ...Object.entries(builtinTenantRoles).map(([name, permissions]) => ({ name, permissions: [...permissions], builtin: true })),
          ...custom.map((role) => ({ ...role, builtin: false })),
        ],
      };
    });

    app.put('/v1/roles', async (request) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'roles:write');
      const body = parseWith(PutRolesRequest, request.body);
      const names = body.roles.map((role) => role.name);
      const clash = names.find((name) => name in builtinTenantRoles);
      if (clash !== undefined) {
        throw new ApiError(400, 'invalid_request', `${clash} is a built-in role; custom roles need other names.`, { issues: [{ path: 'roles.name', message: 'built-in role name' }] });
      }
      if (new Set(names).size !== names.length) {
        throw new ApiError(400, 'invalid_request', 'Role names must be unique.', { issues: [{ path: 'roles.name', message: 'duplicate' }] });
      }
      const mapped = (await ctx.storage.tenantScope(tenant).roleMappings()).map((mapping) => mapping.role).filter((role) => !(role in builtinTenantRoles) && !names.includes(role));
      if (mapped.length > 0) {
        throw new ApiError(409, 'conflict', `Role mappings still use ${[...new Set(mapped)].join(', ')}; change the mappings first.`, { roles: [...new Set(mapped)] });
      }
      const at = ctx.clock().toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.putTenantRoles(tenant, body.roles, at);
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'ROLES_CHANGED', tenantId: tenant.id, details: { roles: body.roles } }, at);
      });
      return { roles: [...Object.entries(builtinTenantRoles).map(([name, permissions]) => ({ name, permissions: [...permissions], builtin: true })), ...body.roles.map((role) => ({ ...role, builtin: false }))] };
    });

    app.get('/v1/directory/role-mappings', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'users:read');
      return { mappings: await ctx.storage.tenantScope(tenant).roleMappings() };
    });

    app.put('/v1/directory/role-mappings', async (request) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'directory:write');
      const body = parseWith(RoleMappings, request.body);
      const known = new Set([...Object.keys(builtinTenantRoles), ...(await ctx.storage.tenantScope(tenant).roles()).map((role) => role.name)]);
      const unknown = body.mappings.filter((mapping) => !known.has(mapping.role)).map((mapping) => mapping.role);
      if (unknown.length > 0) {
        throw new ApiError(400, 'invalid_request', `Unknown role ${unknown.join(', ')}; define it with PUT /v1/roles first.`, { issues: [{ path: 'mappings.role', message: 'unknown role' }] });
      }
      const unique = [...new Map(body.mappings.map((mapping) => [`${mapping.group}\u0000${mapping.role}`, mapping])).values()];
      const at = ctx.clock().toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.putRoleMappings(tenant, unique);
        await tx.appendLedger(tenantLedger(tenant.id), { actor: actor.label, eventType: 'ROLE_MAPPINGS_CHANGED', tenantId: tenant.id, details: { mappings: unique } }, at);
      });
      return { mappings: await ctx.storage.tenantScope(tenant).roleMappings() };
    });
    return Promise.resolve();
  };
}
