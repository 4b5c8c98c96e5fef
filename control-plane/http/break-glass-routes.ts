import type { FastifyInstance } from 'fastify';
import {
  ActivateBreakGlassRequest,
  ApproveBreakGlassRequest,
  BreakGlassIdParam,
  BreakGlassSettings,
  BreakGlassScope,
  CreateBreakGlassRequest,
  DenyBreakGlassRequest,
  ProviderBreakGlassListQuery,
  RevokeBreakGlassRequest,
  TenantBreakGlassListQuery,
  type BreakGlassRequestView,
} from '../../contracts/break-glass';
import { notTenantOwned, type AuthenticatedTenant, type TenantAuth } from '../auth/tenant-auth';
import type { BreakGlassService, Page, TenantDecider } from '../breakglass/break-glass-service';
import type { BreakGlassRecord } from '../storage/types';
import { operatorWith, type ProviderContext } from './context';
import { parseWith } from './validation';
import { ApiError } from './errors';

export function breakGlassView(record: BreakGlassRecord): BreakGlassRequestView {
  return {
    id: record.id,
    tenant_id: record.tenantId,
    state: record.state,
    reason: record.reason,
    scope: BreakGlassScope.array().parse(record.scope),
    duration_minutes: record.durationMinutes,
    requested_duration_minutes: record.requestedMinutes,
    requested_by: { operator_id: record.operatorId, username: record.operatorUsername },
    requested_at: record.createdAt,
    request_expires_at: record.requestExpiresAt,
    required_approvals: record.requiredApprovals,
    approvals: record.approvals.map((approval) => ({ by: approval.actor, at: approval.at, duration_minutes: approval.durationMinutes, comment: approval.comment })),
    decided_at: record.decidedAt,
    decided_by: record.decidedBy,
    decision_note: record.decisionNote,
    activated_at: record.activatedAt,
    grant_expires_at: record.grantExpiresAt,
    ended_at: record.endedAt,
    ended_by: record.endedBy,
    end_reason: record.endReason,
  };
}

function pageView(page: Page): { items: BreakGlassRequestView[]; next_cursor: string | null } {
  return { items: page.items.map(breakGlassView), next_cursor: page.next_cursor };
}

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
 * Break-glass on both planes: operators open, follow and activate requests
 * (/provider/v1/break-glass, permission break-glass:request); tenant admins list, decide, revoke
 * and set how many approvers a request needs (/v1/break-glass, permission break-glass:decide).
 */
export function breakGlassRoutes(ctx: ProviderContext, tenantAuth: TenantAuth, breakGlass: BreakGlassService) {
  return (app: FastifyInstance): Promise<void> => {
    app.post('/provider/v1/break-glass', async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'break-glass:request');
      const body = parseWith(CreateBreakGlassRequest, request.body);
      return reply.code(201).send(breakGlassView(await breakGlass.open(body, operator, actor.label)));
    });

    app.get('/provider/v1/break-glass', async (request) => {
      await operatorWith(ctx, request, 'break-glass:request');
      const query = parseWith(ProviderBreakGlassListQuery, request.query, 'query');
      return pageView(await breakGlass.providerList(query));
    });

    app.get('/provider/v1/break-glass/:id', async (request) => {
      await operatorWith(ctx, request, 'break-glass:request');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      return breakGlassView(await breakGlass.providerGet(id));
    });

    app.post('/provider/v1/break-glass/:id/activate', async (request, reply) => {
      const { operator, actor } = await operatorWith(ctx, request, 'break-glass:request');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      parseWith(ActivateBreakGlassRequest, request.body);
      const { record, token } = await breakGlass.activate(id, operator, actor.label);
      return reply.code(201).send({ id: record.id, grant_token: token, expires_at: record.grantExpiresAt, tenant_id: record.tenantId, scope: record.scope });
    });

    app.get('/v1/break-glass', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const query = parseWith(TenantBreakGlassListQuery, request.query, 'query');
      return pageView(await breakGlass.tenantList(tenant, query));
    });

    app.get('/v1/break-glass/settings', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      return breakGlass.settings(tenant);
    });

    app.put('/v1/break-glass/settings', async (request) => {
      const { tenant, actor } = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const body = parseWith(BreakGlassSettings, request.body);
      return breakGlass.putSettings(tenant, body.required_approvals, actor.label);
    });

    app.get('/v1/break-glass/:id', async (request) => {
      const { tenant } = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      return breakGlassView(await breakGlass.tenantGet(tenant, id));
    });

    app.post('/v1/break-glass/:id/approve', async (request) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
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
      return breakGlassView(await breakGlass.approve(auth.tenant, id, deciderOf(auth), body));
    });

    app.post('/v1/break-glass/:id/deny', async (request) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      const body = parseWith(DenyBreakGlassRequest, request.body);
      return breakGlassView(await breakGlass.deny(auth.tenant, id, deciderOf(auth), body.reason));
    });

    app.post('/v1/break-glass/:id/revoke', async (request) => {
      const auth = await tenantAuth.authorize(request.headers.authorization, 'break-glass:decide');
      const { id } = parseWith(BreakGlassIdParam, request.params, 'path');
      const body = parseWith(RevokeBreakGlassRequest, request.body);
      return breakGlassView(await breakGlass.revoke(auth.tenant, id, deciderOf(auth), body.reason));
    });
    return Promise.resolve();
  };
}
