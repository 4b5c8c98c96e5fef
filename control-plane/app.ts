import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { OperatorAuth } from './auth/operator-auth';
import { healthRoutes } from './http/health';
import { auditRoutes } from './http/audit-routes';
import type { ProviderContext } from './http/context';
import { operatorRoutes } from './http/operator-routes';
import { providerAuthRoutes } from './http/provider-auth';
import { registerRouteTable } from './http/route-table';
import { tenantPlaneRoutes } from './http/tenant-plane-routes';
import { tenantDirectoryRoutes } from './http/tenant-directory-routes';
import { agentRoutes } from './http/agent-routes';
import { oidcRoutes } from './http/oidc-routes';
import { probeTestRoutes } from './http/probe-test-routes';
import { SCIM_PREFIX, scimRoutes } from './http/scim-routes';
import { tenantRoutes } from './http/tenant-routes';
import { TenantAuth } from './auth/tenant-auth';
import { TenantService } from './tenancy/tenant-service';
import { ReplicaPresence } from './replicas/replica-presence';
import { operatorWith } from './http/context';
import { frameworkErrorHandler, registerErrorHandling } from './http/errors';
import type { LicenseSource } from './licensing/license';
import type { Storage } from './storage/types';
import { FairnessRegistry } from './fairness/fairness-registry';
import { IngestWriter, defaultWriterOptions, type IngestWriterOptions } from './ingest/ingest-writer';
import { TenantCrypto } from './tenancy/tenant-keys';
import { ingestRoutes } from './http/ingest-routes';
import { OwnedTests } from './ingest/owned-tests';
import { telemetryRoutes } from './http/telemetry-routes';
import { fairnessRoutes } from './http/fairness-routes';
import { metricsRoute } from './http/metrics-route';
import { BreakGlassService } from './breakglass/break-glass-service';
import { GrantAuth } from './breakglass/grant-access';
import { breakGlassRoutes } from './http/break-glass-routes';
import { registerGrantGuard } from './http/break-glass-guard';
import { ownershipRoutes } from './http/ownership-routes';
import { DEFAULT_RECOVERY_WAIT_MS, OwnershipService } from './tenancy/ownership-service';

export interface AppDeps {
  storage: Storage;
  license: LicenseSource;
  deploymentKey: Buffer;
  clock?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /** TLS options when the app serves HTTPS itself (server.ts); absent for inject() tests. */
  https?: { key: string; cert: string } | null;
  /** Ingest tuning: fairness off only to demonstrate what it prevents (bench P2); writer limits. */
  ingest?: { fairness?: boolean; writer?: Partial<IngestWriterOptions> };
  /** How long a recovery request waits before a new onboarding token can be minted. */
  recoveryWaitMs?: number;
}

/** Largest request body accepted anywhere (ingest batches included); larger is `413 payload_too_large`. */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** Builds the control plane's fastify app. It never listens: server.ts does, tests use inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const base = {
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids are ours, never taken from the client (log integrity).
    genReqId: () => crypto.randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const,
    // Errors the router raises before any route (bad URL encoding, over-long path segments) get the envelope too.
    frameworkErrors: frameworkErrorHandler,
  };
  const app: FastifyInstance = (deps.https ? Fastify({ ...base, https: deps.https }) : Fastify(base)) as FastifyInstance;
  registerErrorHandling(app);
  registerRouteTable(app);
  registerGrantGuard(app);
  const clock = deps.clock ?? (() => new Date());
  const operatorAuth = new OperatorAuth(deps.storage, deps.deploymentKey, clock);
  await app.register(healthRoutes({ storage: deps.storage, license: deps.license }));
  await app.register(providerAuthRoutes(operatorAuth));
  const tenants = new TenantService({ storage: deps.storage, deploymentKey: deps.deploymentKey, license: () => deps.license.get(), clock });
  const ctx: ProviderContext = { storage: deps.storage, auth: operatorAuth, tenants, license: deps.license, deploymentKey: deps.deploymentKey, clock };
  await app.register(tenantRoutes(ctx));
  await app.register(operatorRoutes(ctx));
  await app.register(auditRoutes(ctx));
  const tenantAuth = new TenantAuth(deps.storage, clock);
  await app.register(tenantPlaneRoutes(ctx, tenantAuth));
  await app.register(tenantDirectoryRoutes(ctx, tenantAuth));
  await app.register(agentRoutes(ctx, tenantAuth));
  await app.register(oidcRoutes(ctx, tenantAuth));
  // A cache's age is real time, not the (test-movable) clock.
  const ownedTests = new OwnedTests(deps.storage, () => performance.now());
  await app.register(probeTestRoutes(ctx, tenantAuth, ownedTests));
  await app.register(scimRoutes(ctx, tenantAuth), { prefix: SCIM_PREFIX });
  const breakGlass = new BreakGlassService({ storage: deps.storage, clock, resolveTenant: (ref) => tenants.resolve(ref) });
  const grants = new GrantAuth(deps.storage, clock);
  await app.register(breakGlassRoutes(ctx, tenantAuth, breakGlass));
  const ownership = new OwnershipService({ storage: deps.storage, tenants, clock, recoveryWaitMs: deps.recoveryWaitMs ?? DEFAULT_RECOVERY_WAIT_MS });
  await app.register(ownershipRoutes(ctx, tenantAuth, ownership));
  const presence = new ReplicaPresence(deps.storage, clock, (error) => app.log.warn({ err: error }, 'replica heartbeat failed'));
  const fairnessEnabled = deps.ingest?.fairness ?? true;
  const fairness = new FairnessRegistry({ enabled: fairnessEnabled, liveReplicas: () => presence.liveReplicas, nowMs: () => clock().getTime() });
  const writer = new IngestWriter(deps.storage.telemetry, { ...defaultWriterOptions, fair: fairnessEnabled, ...deps.ingest?.writer });
  const tenantCrypto = new TenantCrypto(deps.storage, deps.deploymentKey);
  const fairnessView = { fairness, writer, liveReplicas: () => presence.liveReplicas };
  await app.register(ingestRoutes(ctx, tenantAuth, { fairness, writer, crypto: tenantCrypto, ownedTests }));
  await app.register(telemetryRoutes(ctx, tenantAuth, { fairness, crypto: tenantCrypto, grants }));
  await app.register(fairnessRoutes(ctx, fairnessView));
  await app.register(metricsRoute(ctx, fairnessView));
  app.get('/provider/v1/replicas', async (request) => {
    await operatorWith(ctx, request, 'replicas:read');
    const live = await presence.live();
    return {
      items: live.map((replica) => ({ id: replica.id, address: replica.address, started_at: replica.startedAt, heartbeat_at: replica.heartbeatAt, self: replica.id === presence.id })),
      live_count: live.length,
    };
  });
  // Only a listening app is a replica (inject() tests are not).
  app.addHook('onListen', async () => {
    const address = app.server.address();
    await presence.start(typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address));
  });
  app.addHook('onClose', async () => {
    await presence.stop();
    // Admitted batches still queued are written before the store closes.
    await writer.idle();
    await deps.storage.close();
  });
  return app;
}
