import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { OperatorAccounts } from './auth/operator-accounts';
import { OperatorAuth } from './auth/operator-auth';
import type { ScrapeToken } from './auth/scrape-token';
import { TenantAuth } from './auth/tenant-auth';
import { BrandResolver } from './branding/brand-resolver';
import { BrandingService } from './branding/branding-service';
import { BreakGlassService } from './breakglass/break-glass-service';
import { GrantAuth } from './breakglass/grant-access';
import { ApiRateLimit } from './fairness/api-rate-limit';
import { FairnessRegistry } from './fairness/fairness-registry';
import { enrollRoutes } from './http/agent/enroll-routes';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './ingest/connection-bounds';
import { ingestRoutes } from './http/agent/ingest-routes';
import { licenseNow, type RouteContext } from './http/context';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './http/errors';
import { registerGrantGuard } from './http/grant-guard';
import { registerSecurityHeaders } from './http/security-headers';
import { healthRoutes } from './http/health-routes';
import { metricsRoute } from './http/metrics-route';
import { ConnectionCloses } from './http/connection-closes';
import { TlsHandshakes } from './http/tls-handshakes';
import { SERVER_TIMEOUTS, type ServerTimeouts } from './server-timeouts';
import { openApiRoute } from './http/openapi-route';
import { portalRoutes } from './http/portal-route';
import { PortalCsrf, registerPortalCookie } from './http/portal-cookie';
import { portalSessionRoutes } from './http/portal-session-routes';
import { CONTROL_PLANE_VERSION } from './version';
import { auditRoutes } from './http/provider/audit-routes';
import { ledgerKeysRoute } from './http/ledger-keys-route';
import { brandingRoutes } from './http/provider/branding-routes';
import { providerBreakGlassRoutes } from './http/provider/break-glass-routes';
import { fairnessRoutes } from './http/provider/fairness-routes';
import { onboardingRoutes } from './http/provider/onboarding-routes';
import { accountRoutes } from './http/provider/account-routes';
import { operatorRoutes } from './http/provider/operator-routes';
import { providerAuthRoutes } from './http/provider/provider-auth-routes';
import { replicaRoutes } from './http/provider/replica-routes';
import { tenantRoutes } from './http/provider/tenant-routes';
import { usageRoutes } from './http/provider/usage-routes';
import { registerRequestLimits } from './http/request-limits';
import { registerRouteTable } from './http/route-table';
import { SCIM_PREFIX, scimRoutes } from './http/scim/scim-routes';
import { agentPoolRoutes } from './http/tenant/agent-pool-routes';
import { tenantAuditRoutes } from './http/tenant/audit-routes';
import { brandingResolveRoute } from './http/tenant/branding-resolve-route';
import { tenantBreakGlassRoutes } from './http/tenant/break-glass-routes';
import { directoryRoutes } from './http/tenant/directory-routes';
import { identityRoutes } from './http/tenant/identity-routes';
import { ownershipRoutes } from './http/tenant/ownership-routes';
import { probeTestRoutes } from './http/tenant/probe-test-routes';
import { profileRoutes } from './http/tenant/profile-routes';
import { telemetryRoutes } from './http/tenant/telemetry-routes';
import { DirectoryService } from './identity/directory-service';
import { SignInService } from './identity/sign-in-service';
import { FairnessReport } from './ingest/fairness-report';
import { IngestAdmission } from './ingest/ingest-admission';
import { IngestWriter, defaultWriterOptions, type IngestWriterOptions } from './ingest/ingest-writer';
import { OwnedTests } from './ingest/owned-tests';
import { StorageMeter } from './ingest/storage-meter';
import { LedgerService } from './ledgers/ledger-service';
import { LedgerSigner } from './ledgers/ledger-signer';
import type { LicenseSource } from './licensing/license';
import { ReplicaPresence } from './replicas/replica-presence';
import type { Storage } from './storage/types';
import { TelemetryAccess } from './telemetry/telemetry-access';
import { TelemetryQueries } from './telemetry/telemetry-queries';
import { UsageService } from './metering/usage-service';
import { TenantSummaries } from './tenancy/tenant-summaries';
import { AgentService } from './tenancy/agent-service';
import { DEFAULT_RECOVERY_WAIT_MS, OwnershipService } from './tenancy/ownership-service';
import { ProbeTargets } from './tenancy/probe-targets';
import { ProbeTestService } from './tenancy/probe-test-service';
import { TenantCrypto } from './tenancy/tenant-keys';
import { TenantService } from './tenancy/tenant-service';

export interface AppDeps {
  storage: Storage;
  license: LicenseSource;
  deploymentKey: Buffer;
  clock?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /** TLS options when the app serves HTTPS itself (server.ts); absent for inject() tests. */
  https?: { key: string; cert: string } | null;
  /** The server's connection timeouts (default SERVER_TIMEOUTS; tests shorten them). */
  serverTimeouts?: Partial<ServerTimeouts> | undefined;
  /** Ingest tuning: fairness off only to demonstrate what it prevents (bench P2); writer limits. */
  ingest?: { fairness?: boolean; writer?: Partial<IngestWriterOptions>; connections?: Partial<ConnectionLimits> };
  /** How long a recovery request waits before a new onboarding token can be minted. */
  recoveryWaitMs?: number;
  /**
   * Where browsers reach this control plane, for the OIDC redirect URI: its public URL
   * (`serve --public-url`), else any of these host names (its certificate's) at the port it was
   * reached on. Absent both, any Host is taken (inject() tests only).
   */
  publicUrl?: string;
  knownHosts?: readonly string[];
  /** The scrape token /metrics accepts besides operator sessions (`serve --metrics-token-file`). */
  metricsToken?: ScrapeToken;
  /**
   * `serve --base-domain`: tenants' hosts are `<slug>.<base domain>` (their sign-in walls resolve
   * their brand by it, and no custom domain may sit under it). Lowercase, checked by the CLI.
   */
  baseDomain?: string;
  /** The built tenant portal (out/portal), served at /portal/; absent: /portal/ answers 404. */
  portalDir?: string | null;
}

/** Largest request body accepted anywhere (ingest batches included); larger is `413 payload_too_large`. */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** The origin browsers come back to after signing in: the public URL, or the request's own Host if it is one of ours. */
function publicOrigin(deps: AppDeps): (host: string | undefined) => string | null {
  if (deps.publicUrl !== undefined) {
    const origin = new URL(deps.publicUrl).origin;
    return () => origin;
  }
  const known = deps.knownHosts === undefined ? null : new Set(deps.knownHosts.map((name) => name.toLowerCase()));
  return (host) => {
    if (host === undefined) return null;
    const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
    return known === null || known.has(name) ? `https://${host}` : null;
  };
}

/** A tenant portal's origin: its (checked) host name, at the public URL's port if configured, else the port the request came to. */
function portalOrigin(deps: AppDeps): (tenantHost: string, requestHost: string | undefined) => string {
  const configuredPort = deps.publicUrl === undefined ? null : new URL(deps.publicUrl).port;
  return (tenantHost, requestHost) => {
    const port = configuredPort ?? /:(\d{1,5})$/.exec(requestHost ?? '')?.[1] ?? '';
    return port === '' || port === '443' ? `https://${tenantHost}` : `https://${tenantHost}:${port}`;
  };
}

/** The services every route calls, built once over one storage (the composition root). */
function services(app: FastifyInstance, deps: AppDeps): { ctx: RouteContext; writer: IngestWriter } {
  const { storage, deploymentKey } = deps;
  const clock = deps.clock ?? (() => new Date());
  const crypto = new TenantCrypto(storage, deploymentKey);
  const tenants = new TenantService({ storage, deploymentKey, license: () => licenseNow(deps), clock });
  const tenantAuth = new TenantAuth(storage, clock, new ApiRateLimit(() => clock().getTime()));
  const directory = new DirectoryService({ storage, crypto, clock });
  const replicas = new ReplicaPresence(storage, clock, (error) => app.log.warn({ err: error }, 'replica heartbeat failed'));
  const fairnessEnabled = deps.ingest?.fairness ?? true;
  const fairness = new FairnessRegistry({ enabled: fairnessEnabled, liveReplicas: () => replicas.liveReplicas, nowMs: () => clock().getTime() });
  const writer = new IngestWriter(storage.telemetry, { ...defaultWriterOptions, fair: fairnessEnabled, ...deps.ingest?.writer });
  // A cache's age is real time, not the (test-movable) clock.
  const ownedTests = new OwnedTests(storage, () => performance.now());
  const auth = new OperatorAuth(storage, deploymentKey, clock);
  // Why connections close, for /metrics (inject() opens none: it counts nothing then).
  const closes = new ConnectionCloses();
  closes.watch(app.server);
  // How long TLS handshakes take, server side, for /metrics.
  const handshakes = new TlsHandshakes();
  handshakes.watch(app.server);
  const ctx: RouteContext = {
    clock,
    license: deps.license,
    auth,
    accounts: new OperatorAccounts({ storage, deploymentKey, clock, auth }),
    tenantAuth,
    tenants,
    summaries: new TenantSummaries({ storage, counters: (tenantId) => fairness.counters(tenantId, 0), clock }),
    ownership: new OwnershipService({ storage, tenants, clock, recoveryWaitMs: deps.recoveryWaitMs ?? DEFAULT_RECOVERY_WAIT_MS }),
    breakGlass: new BreakGlassService({ storage, clock, resolveTenant: (ref) => tenants.resolve(ref) }),
    directory,
    signIn: new SignInService({ storage, crypto, directory, clock, deploymentKey }),
    agents: new AgentService({ storage, clock }),
    probeTests: new ProbeTestService({ storage, clock, targets: new ProbeTargets(crypto), changed: (tenantId) => ownedTests.forget(tenantId) }),
    telemetry: new TelemetryQueries({ storage, crypto, clock }),
    telemetryAccess: new TelemetryAccess({ tenantAuth, grants: new GrantAuth(storage, clock), fairness }),
    ledgers: new LedgerService({ storage, crypto, signer: new LedgerSigner({ storage, deploymentKey, clock }) }),
    ingestConnections: { ...DEFAULT_CONNECTION_LIMITS, ...deps.ingest?.connections },
    connectionCloses: closes,
    tlsHandshakes: handshakes,
    admission: new IngestAdmission({ fairness, writer, storageMeter: new StorageMeter(storage.telemetry, () => clock().getTime()), ownedTests }),
    fairness: new FairnessReport({ storage, fairness, writer, liveReplicas: () => replicas.liveReplicas }),
    replicas,
    usage: new UsageService({ storage, clock }),
    crypto,
    branding: new BrandingService({ storage, tenants, clock, baseDomain: deps.baseDomain ?? null }),
    brandResolver: new BrandResolver({ storage, baseDomain: deps.baseDomain ?? null, onError: (error) => app.log.warn({ err: error }, 'brand resolution failed; answered the default brand') }),
    storage,
    deploymentKey,
    publicOrigin: publicOrigin(deps),
    portalOrigin: portalOrigin(deps),
    portalCsrf: new PortalCsrf(deploymentKey),
  };
  return { ctx, writer };
}

/**
 * TLS 1.2 and 1.3 only, and on 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
 * ChaCha20-Poly1305): no CBC, CCM or ARIA suites, which Node's defaults still offer.
 */
export const TLS_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_AES_128_GCM_SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
  ].join(':'),
  honorCipherOrder: true,
} as const;

/** A request as the log shows it: the path without its query (OIDC codes and states travel there), never a header. */
function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: request.url.split('?')[0], host: request.host, remoteAddress: request.ip };
}

/** Builds the control plane's fastify app. It never listens: server.ts does, tests use inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger === undefined || deps.logger === false ? false : { ...(typeof deps.logger === 'object' ? deps.logger : {}), serializers: { req: requestForLog } };
  const base = {
    logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids are ours, never taken from the client (log integrity).
    genReqId: () => crypto.randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const,
    // Errors the router raises before any route (bad URL encoding, over-long path segments) get the envelope too.
    frameworkErrors: frameworkErrorHandler,
    // And what Node's parser refuses before that (headers too large: 431 headers_too_large).
    clientErrorHandler,
  };
  const timeouts = { ...SERVER_TIMEOUTS, ...deps.serverTimeouts };
  const server = { keepAliveTimeout: timeouts.keepAlive, requestTimeout: timeouts.request, http: { headersTimeout: timeouts.headers, connectionsCheckingInterval: timeouts.checkEvery } };
  const https = deps.https ? { ...deps.https, ...TLS_OPTIONS, ...server.http, handshakeTimeout: timeouts.tlsHandshake } : null;
  const app: FastifyInstance = (https ? Fastify({ ...base, ...server, https }) : Fastify({ ...base, ...server })) as FastifyInstance;
  registerErrorHandling(app);
  await registerRequestLimits(app);
  registerSecurityHeaders(app);
  registerRouteTable(app);
  registerGrantGuard(app);
  const { ctx, writer } = services(app, deps);
  registerPortalCookie(app, ctx.portalCsrf);

  // Public.
  await app.register(healthRoutes({ storage: deps.storage, license: deps.license }));
  await app.register(openApiRoute(CONTROL_PLANE_VERSION));
  await app.register(metricsRoute(ctx, deps.metricsToken ?? null));
  await app.register(portalRoutes(deps.portalDir ?? null));
  await app.register(portalSessionRoutes(ctx));
  // The provider plane (operator sessions).
  await app.register(providerAuthRoutes(ctx.auth));
  await app.register(accountRoutes(ctx));
  await app.register(tenantRoutes(ctx));
  await app.register(operatorRoutes(ctx));
  await app.register(auditRoutes(ctx));
  await app.register(ledgerKeysRoute(ctx));
  await app.register(onboardingRoutes(ctx));
  await app.register(fairnessRoutes(ctx));
  await app.register(brandingRoutes(ctx));
  await app.register(providerBreakGlassRoutes(ctx));
  await app.register(replicaRoutes(ctx));
  await app.register(usageRoutes(ctx));
  // The tenant plane (the tenant's own credentials; operator sessions are refused by the route table).
  await app.register(brandingResolveRoute(ctx));
  await app.register(profileRoutes(ctx));
  await app.register(tenantAuditRoutes(ctx));
  await app.register(ownershipRoutes(ctx));
  await app.register(identityRoutes(ctx));
  await app.register(directoryRoutes(ctx));
  await app.register(agentPoolRoutes(ctx));
  await app.register(probeTestRoutes(ctx));
  await app.register(telemetryRoutes(ctx));
  await app.register(tenantBreakGlassRoutes(ctx));
  await app.register(scimRoutes(ctx), { prefix: SCIM_PREFIX });
  // Agents.
  await app.register(enrollRoutes(ctx));
  await app.register(ingestRoutes(ctx));

  // Targets stored in clear by an older version are sealed before the first request.
  // A storage failure here does not stop the start (/readyz reports storage); the next start seals them.
  app.addHook('onReady', async () => {
    try {
      const sealed = await ctx.probeTests.sealStoredTargets();
      if (sealed > 0) app.log.info({ tests: sealed }, 'sealed probe targets stored in clear');
    } catch (error) {
      app.log.warn({ err: error }, 'could not seal probe targets stored in clear; the next start tries again');
    }
  });
  // Only a listening app is a replica (inject() tests are not).
  app.addHook('onListen', async () => {
    const address = app.server.address();
    await ctx.replicas.start(typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address));
  });
  app.addHook('onClose', async () => {
    await ctx.replicas.stop();
    await ctx.auth.flushFailures();
    // Admitted batches still queued are written before the store closes.
    await writer.idle();
    await deps.storage.close();
  });
  return app;
}
