import type { FastifyRequest } from 'fastify';
import type { LicensePayload } from '../../contracts/license';
import type { AuthenticatedOperator, OperatorAuth } from '../auth/operator-auth';
import { requirePermission, type ProviderPermission } from '../auth/permissions';
import { bearerToken } from '../auth/tokens';
import type { LicenseSource } from '../licensing/license';
import type { Storage } from '../storage/types';
import type { Actor, TenantService } from '../tenancy/tenant-service';
import { ApiError } from './errors';

/** What the provider-plane route plugins share. */
export interface ProviderContext {
  storage: Storage;
  auth: OperatorAuth;
  tenants: TenantService;
  license: LicenseSource;
  deploymentKey: Buffer;
  clock: () => Date;
}

/** The signed-in operator, checked for `permission` (401 without a session, 403 without the permission). */
export async function operatorWith(ctx: ProviderContext, request: FastifyRequest, permission: ProviderPermission): Promise<AuthenticatedOperator & { actor: Actor }> {
  const authenticated = await ctx.auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
  requirePermission(authenticated.operator.roles, permission);
  return { ...authenticated, actor: { label: `operator:${authenticated.operator.username}` } };
}

/** The license in force, or 503 while it is invalid or expired. */
export function licenseNow(ctx: ProviderContext): LicensePayload {
  try {
    return ctx.license.get();
  } catch (error) {
    throw new ApiError(503, 'license_invalid', (error as Error).message);
  }
}
