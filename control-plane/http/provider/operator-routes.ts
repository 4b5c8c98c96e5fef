import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, Uuid } from '../../../contracts/common';
import { CreatedOperator, CreateOperatorRequest, Operator } from '../../../contracts/operators';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

const OperatorParams = z.strictObject({ id: Uuid });

/** /provider/v1/operators: list, add (pending until it enrolls), remove, reset another's TOTP. provider_admin only. */
export function operatorRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/operators', contract({ summary: 'List operators', credential: 'operator', responses: { 200: pageOf(Operator) } }), async (request) => {
      await operatorWith(ctx, request, 'operators:read');
      return { items: await ctx.accounts.list(), next_cursor: null };
    });

    app.post(
      '/provider/v1/operators',
      contract({ summary: 'Add an operator: it enrolls its own authenticator at its first sign-in', credential: 'operator', body: CreateOperatorRequest, responses: { 201: CreatedOperator } }),
      async (request, reply) => {
        const { actor } = await operatorWith(ctx, request, 'operators:write');
        const body = parseWith(CreateOperatorRequest, request.body);
        const created = await ctx.accounts.create(body, actor);
        const answer: CreatedOperator = { operator: created.operator, ...(created.initialPassword === null ? {} : { initial_password: created.initialPassword }) };
        return reply.code(201).send(answer);
      },
    );

    app.delete('/provider/v1/operators/:id', contract({ summary: 'Remove an operator and end its sessions', credential: 'operator', params: OperatorParams, responses: { 204: null } }), async (request, reply) => {
      const { actor, operator: self } = await operatorWith(ctx, request, 'operators:write');
      const { id } = parseWith(OperatorParams, request.params, 'path');
      await ctx.accounts.remove(id, self, actor);
      return reply.code(204).send();
    });

    app.post(
      '/provider/v1/operators/:id/reset-totp',
      contract({ summary: "Reset another operator's authenticator: pending again, its recovery codes and sessions gone", credential: 'operator', params: OperatorParams, responses: { 200: Operator } }),
      async (request) => {
        const { actor, operator: self } = await operatorWith(ctx, request, 'operators:write');
        const { id } = parseWith(OperatorParams, request.params, 'path');
        return ctx.accounts.resetTotp(id, self, actor);
      },
    );
    return Promise.resolve();
  };
}
