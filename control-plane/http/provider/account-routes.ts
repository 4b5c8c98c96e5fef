import type { FastifyInstance } from 'fastify';
import { ChangePasswordRequest, RecoveryCodesView, RegenerateRecoveryCodesRequest } from '../../../contracts/operators';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { operatorOf } from './provider-auth-routes';

/**
 * The signed-in operator's own account, whatever its role: PUT /provider/v1/auth/password and
 * POST /provider/v1/auth/recovery-codes. Both ask for the current password again.
 */
export function accountRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.put(
      '/provider/v1/auth/password',
      contract({ summary: 'Change your own password (the current one first); your other sessions end', credential: 'operator', body: ChangePasswordRequest, responses: { 204: null } }),
      async (request, reply) => {
        const self = await operatorOf(ctx.auth, request);
        const body = parseWith(ChangePasswordRequest, request.body);
        await ctx.accounts.changePassword(self, body.current_password, body.new_password);
        return reply.code(204).send();
      },
    );

    app.post(
      '/provider/v1/auth/recovery-codes',
      contract({ summary: 'New recovery codes (your password first), shown once; the old ones stop working', credential: 'operator', body: RegenerateRecoveryCodesRequest, responses: { 201: RecoveryCodesView } }),
      async (request, reply) => {
        const self = await operatorOf(ctx.auth, request);
        const body = parseWith(RegenerateRecoveryCodesRequest, request.body);
        return reply.code(201).send({ recovery_codes: await ctx.accounts.regenerateRecoveryCodes(self, body.password) });
      },
    );
    return Promise.resolve();
  };
}
