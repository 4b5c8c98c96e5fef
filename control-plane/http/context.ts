import type { FastifyRequest } from 'fastify';
import type { LicensePayload } from '../../contracts/license';
import type { OperatorAccounts } from '../auth/operator-accounts';
import type { AuthenticatedOperator, OperatorAuth } from '../auth/operator-auth';
import { requirePermission, type ProviderPermission } from '../auth/permissions';
import type { TenantAuth } from '../auth/tenant-auth';
import { bearerToken } from '../auth/tokens';
import type { BrandResolver } from '../branding/brand-resolver';
import type { BrandingService } from '../branding/branding-service';
import type { BreakGlassService } from '../breakglass/break-glass-service';
import { ApiError } from '../errors';
import type { DirectoryService } from '../identity/directory-service';
import type { SignInService } from '../identity/sign-in-service';
import type { FairnessReport } from '../ingest/fairness-report';
import type { IngestAdmission } from '../ingest/ingest-admission';
import type { LedgerService } from '../ledgers/ledger-service';
import type { LicenseSource } from '../licensing/license';
import type { ReplicaPresence } from '../replicas/replica-presence';
import type { UsageService } from '../metering/usage-service';
import type { Storage } from '../storage/types';
import type { TelemetryAccess } from '../telemetry/telemetry-access';
import type { TelemetryQueries } from '../telemetry/telemetry-queries';
import type { AgentService } from '../tenancy/agent-service';
import type { OwnershipService } from '../tenancy/ownership-service';
import type { ProbeTestService } from '../tenancy/probe-test-service';
import type { TenantCrypto } from '../tenancy/tenant-keys';
import type { Actor, TenantService } from '../tenancy/tenant-service';
import type { TenantSummaries } from '../tenancy/tenant-summaries';
import type { ConnectionLimits } from '../ingest/connection-bounds';
import type { PortalCsrf } from './portal-cookie';
import type { ConnectionCloses } from './connection-closes';
import type { TlsHandshakes } from './tls-handshakes';

/**
 * What route plugins are given: the services they call (built once in app.ts). A route parses its
 * request with the contract, authenticates, calls a service and answers its view; it does not reach
 * storage itself.
 */
export interface RouteContext {
  clock: () => Date;
  license: LicenseSource;
  /** Operator sessions (the provider plane). */
  auth: OperatorAuth;
  /** Operator accounts: the admin's side and each operator's own. */
  accounts: OperatorAccounts;
  tenantAuth: TenantAuth;
  tenants: TenantService;
  /** The console's tenants table: counts and rates per tenant. */
  summaries: TenantSummaries;
  ownership: OwnershipService;
  breakGlass: BreakGlassService;
  directory: DirectoryService;
  signIn: SignInService;
  agents: AgentService;
  probeTests: ProbeTestService;
  telemetry: TelemetryQueries;
  telemetryAccess: TelemetryAccess;
  ledgers: LedgerService;
  admission: IngestAdmission;
  /** How many ingest connections one agent token and one tenant may hold open (ingest/connection-bounds.ts). */
  ingestConnections: ConnectionLimits;
  /** Why the server's connections closed, by reason (for /metrics; the ingest route marks its refusals). */
  connectionCloses: ConnectionCloses;
  /** The server's TLS handshake durations, completed and not (for /metrics). */
  tlsHandshakes: TlsHandshakes;
  fairness: FairnessReport;
  replicas: ReplicaPresence;
  usage: UsageService;
  crypto: TenantCrypto;
  branding: BrandingService;
  /** Sign-in walls' brand by host (public; never fails, never another tenant's). */
  brandResolver: BrandResolver;
  storage: Storage;
  deploymentKey: Buffer;
  /** The origin for redirect URIs from a request's Host header, or null when that host is not ours (see AppDeps.publicUrl). */
  publicOrigin: (host: string | undefined) => string | null;
  /**
   * The origin of a tenant's portal on `tenantHost` (a host name its tenant was resolved by, never the
   * raw Host header): https, at the public URL's port when one is configured, else the request's.
   */
  portalOrigin: (tenantHost: string, requestHost: string | undefined) => string;
  portalCsrf: PortalCsrf;
}

/** The signed-in operator, checked for `permission` (401 without a session, 403 without the permission). */
export async function operatorWith(ctx: RouteContext, request: FastifyRequest, permission: ProviderPermission): Promise<AuthenticatedOperator & { actor: Actor }> {
  const authenticated = await ctx.auth.authenticate(bearerToken(request.headers.authorization, 'bho_'));
  requirePermission(authenticated.operator.roles, permission);
  return { ...authenticated, actor: { label: `operator:${authenticated.operator.username}` } };
}

/** The license in force, or 503 while it is invalid or expired (also for services: a license may expire between a route's check and theirs). */
export function licenseNow(ctx: Pick<RouteContext, 'license'>): LicensePayload {
  try {
    return ctx.license.get();
  } catch (error) {
    throw new ApiError(503, 'license_invalid', (error as Error).message);
  }
}
