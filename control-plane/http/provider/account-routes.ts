import type { FastifyInstance } from 'fastify';
import { ChangePasswordRequest, ConfirmTotpReplacementRequest, RecoveryCodesView, RegenerateRecoveryCodesRequest, ReplaceTotpRequest, TotpReplacement } from '../../../contracts/operators';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { operatorOf } from './provider-auth-routes';

/**
 * The signed-in operator's own account, whatever its role: PUT /provider/v1/auth/password,
 * POST /provider/v1/auth/recovery-codes, POST /provider/v1/auth/totp and /auth/totp/confirm (a new
 * authenticator). Each change asks for the current password again (a confirm, for the new code).
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

    app.post(
      '/provider/v1/auth/totp',
      contract({ summary: 'Set up a new authenticator (your password first): its secret; the old one works until the new one is confirmed', credential: 'operator', body: ReplaceTotpRequest, responses: { 201: TotpReplacement } }),
      async (request, reply) => {
        const self = await operatorOf(ctx.auth, request);
        const body = parseWith(ReplaceTotpRequest, request.body);
        const replacement = await ctx.accounts.startTotpReplacement(self, body.password);
        return reply.code(201).send({ otpauth_uri: replacement.otpauthUri, secret: replacement.secret });
      },
    );

    app.post(
      '/provider/v1/auth/totp/confirm',
      contract({ summary: 'A first code of the new authenticator: it replaces the old one', credential: 'operator', body: ConfirmTotpReplacementRequest, responses: { 204: null } }),
      async (request, reply) => {
        const self = await operatorOf(ctx.auth, request);
        const body = parseWith(ConfirmTotpReplacementRequest, request.body);
        await ctx.accounts.confirmTotpReplacement(self, body.totp);
        return reply.code(204).send();
      },
    );
    return Promise.resolve();
  };
}
