import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, Uuid } from '../../../contracts/common';
import { CreateOperatorRequest, Enrollment as EnrollmentSchema, Operator as OperatorSchema, type Enrollment, type Operator } from '../../../contracts/operators';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import { hashPassword } from '../../auth/password';
import { newTotpSecret, totpUri } from '../../auth/totp';
import { seal } from '../../crypto/seal';
import { sealPurpose } from '../../crypto/seal-purposes';
import type { OperatorRecord } from '../../storage/types';
import { ApiError } from '../../errors';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';

const OperatorParams = z.strictObject({ id: Uuid });

function view(record: OperatorRecord): Operator {
  return { id: record.id, username: record.username, roles: record.roles, created_at: record.createdAt };
}

/** /provider/v1/operators: list, create (enrollment shown once), delete. provider_admin only. */
export function operatorRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/operators', contract({ summary: 'List operators', credential: 'operator', responses: { 200: pageOf(OperatorSchema) } }), async (request) => {
      await operatorWith(ctx, request, 'operators:read');
      return { items: (await ctx.storage.operators.list()).map(view), next_cursor: null };
    });

    app.post('/provider/v1/operators', contract({ summary: 'Add an operator: its TOTP enrollment is answered once', credential: 'operator', body: CreateOperatorRequest, responses: { 201: EnrollmentSchema } }), async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'operators:write');
      const body = parseWith(CreateOperatorRequest, request.body);
      if ((await ctx.storage.operators.findByUsername(body.username)) !== null) {
        throw new ApiError(409, 'conflict', `An operator named ${body.username} exists.`, { username: body.username });
      }
      const id = randomUUID();
      const secret = newTotpSecret();
      const initialPassword = body.password === undefined ? randomBytes(18).toString('base64url') : null;
      const passwordHash = await hashPassword(body.password ?? initialPassword ?? '');
      const roles = [...new Set(body.roles)];
      const createdAt = ctx.clock().toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.createOperator({ id, username: body.username, passwordHash, totpSecretSealed: seal(ctx.deploymentKey, Buffer.from(secret), sealPurpose.operatorTotp(id)), roles, createdAt });
        await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'OPERATOR_CREATED', tenantId: null, details: { operator_id: id, username: body.username, roles } }, createdAt);
      });
      const enrollment: Enrollment = {
        operator: { id, username: body.username, roles, created_at: createdAt },
        otpauth_uri: totpUri(body.username, secret),
        secret,
        ...(initialPassword === null ? {} : { initial_password: initialPassword }),
      };
      return reply.code(201).send(enrollment);
    });

    app.delete('/provider/v1/operators/:id', contract({ summary: 'Remove an operator and end its sessions', credential: 'operator', params: OperatorParams, responses: { 204: null } }), async (request, reply) => {
      const { actor, operator: self } = await operatorWith(ctx, request, 'operators:write');
      const { id } = parseWith(OperatorParams, request.params, 'path');
      const target = await ctx.storage.operators.findById(id);
      if (target === null) {
        throw new ApiError(404, 'not_found', 'No such operator.');
      }
      if (target.id === self.id) {
        throw new ApiError(409, 'conflict', 'You cannot delete your own operator account.');
      }
      const admins = (await ctx.storage.operators.list()).filter((operator) => operator.roles.includes('provider_admin'));
      if (target.roles.includes('provider_admin') && admins.length <= 1) {
        throw new ApiError(409, 'conflict', 'The last provider admin cannot be deleted.');
      }
      const at = ctx.clock().toISOString();
      await ctx.storage.transaction(async (tx) => {
        await tx.revokeOperatorSessions(target.id, at);
        await tx.deleteOperator(target.id);
        await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'OPERATOR_DELETED', tenantId: null, details: { operator_id: target.id, username: target.username } }, at);
      });
      return reply.code(204).send();
    });
    return Promise.resolve();
  };
}
