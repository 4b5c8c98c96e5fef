import type { FastifyInstance } from 'fastify';
import { ApproveBreakGlassRequest, BreakGlassIdParam, BreakGlassRequestView, BreakGlassSettings, BreakGlassSettingsView, DenyBreakGlassRequest, RevokeBreakGlassRequest, TenantBreakGlassListQuery } from '../../../contracts/break-glass';
import { notTenantOwned, type AuthenticatedTenant } from '../../auth/tenant-auth';
import type { TenantDecider } from '../../breakglass/break-glass-service';
import { ApiError } from '../../errors';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { breakGlassPageView, breakGlassView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/**
 * Who decides on the tenant side. A user counts as one approver however many sessions it has; a
 * tenant-admin token counts as itself. An admin token minted by an operator carries that operator,
 * so the requester can never approve through a token it minted.
 */
export function deciderOf(auth: AuthenticatedTenant): TenantDecider {
  return {
    actor: auth.actor.label,
    approver: auth.user === null ? `${auth.token.kind}-token:${auth.token.id}` : `user:${auth.user.id}`,
    mintedByOperator: auth.user === null && auth.token.kind === 'admin' ? auth.token.subjectId : null,
  };
}

/**
 * Break-glass on the tenant plane: the tenant's admins list requests, decide, revoke and set how many
 * approvers a request needs (permission break-glass:decide). Approvals come from people the tenant owns.
 */
export function tenantBreakGlassRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/break-glass', contract({ summary: "The tenant's break-glass requests", credential: 'tenant', query: TenantBreakGlassListQuery, responses: { 200: pageOf(BreakGlassRequestView) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const query = parseWith(TenantBreakGlassListQuery, request.query, 'query');
      return breakGlassPageView(await ctx.breakGlass.tenantList(tenant, query));
    });

    app.get('/v1/break-glass/settings', contract({ summary: 'How many approvers a request needs', credential: 'tenant', responses: { 200: BreakGlassSettingsView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      return ctx.breakGlass.settings(tenant);
    });

    app.put('/v1/break-glass/settings', contract({ summary: 'Set how many approvers new requests need (1 or 2)', credential: 'tenant', body: BreakGlassSettings, responses: { 200: BreakGlassSettingsView } }), async (request) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const body = parseWith(BreakGlassSettings, request.body);
      return ctx.breakGlass.putSettings(tenant, body.required_approvals, actor.label);
    });

    app.get('/v1/break-glass/:id', contract({ summary: 'One break-glass request', credential: 'tenant', params: BreakGlassIdParam, responses: { 200: BreakGlassRequestView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      return breakGlassView(await ctx.breakGlass.tenantGet(tenant, id));
    });

    app.post('/v1/break-glass/:id/approve', contract({ summary: 'Approve (a person the tenant owns; may shorten the grant)', credential: 'tenant', params: BreakGlassIdParam, body: ApproveBreakGlassRequest, responses: { 200: BreakGlassRequestView } }), async (request) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      // Letting the provider in is a person's decision: a tenant user from the tenant's IdP.
      // Tokens (admin tokens are minted through the provider plane) may deny and revoke, never approve.
      if (auth.user === null) {
        throw new ApiError(403, 'break_glass_approver_not_user', "An approval comes from a tenant user (sign in through the tenant's IdP); a token cannot approve. It can deny or revoke.");
      }
      // ...and from a person the tenant owns: signed in after handover, through IdP settings the
      // tenant set or confirmed, so no provider credential can have produced the approver.
      if (!auth.tenantOwned) {
        throw notTenantOwned(auth.tenant, 'Approving a break-glass request');
      }
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      const body = parseWith(ApproveBreakGlassRequest, request.body);
      return breakGlassView(await ctx.breakGlass.approve(auth.tenant, id, deciderOf(auth), body));
    });

    app.post('/v1/break-glass/:id/deny', contract({ summary: 'Deny a pending request', credential: 'tenant', params: BreakGlassIdParam, body: DenyBreakGlassRequest, responses: { 200: BreakGlassRequestView } }), async (request) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      const body = parseWith(DenyBreakGlassRequest, request.body);
      return breakGlassView(await ctx.breakGlass.deny(auth.tenant, id, deciderOf(auth), body.reason));
    });

    app.post('/v1/break-glass/:id/revoke', contract({ summary: 'End an approved request or an active grant at once', credential: 'tenant', params: BreakGlassIdParam, body: RevokeBreakGlassRequest, responses: { 200: BreakGlassRequestView } }), async (request) => {
      const auth = await ctx.tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      const body = parseWith(RevokeBreakGlassRequest, request.body);
      return breakGlassView(await ctx.breakGlass.revoke(auth.tenant, id, deciderOf(auth), body.reason));
    });
    return Promise.resolve();
  };
}
