import { existsSync, readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp, TLS_OPTIONS } from './app';
import type { ConnectionLimits } from './ingest/connection-bounds';
import type { ServerTimeouts } from './server-timeouts';
import { ScrapeToken } from './auth/scrape-token';
import { loadDeploymentKey } from './crypto/deployment-key';
import { checkDataDir, dataDirEngineConfig, loadDataDirTls } from './data-dir';
import { builtInLicenseTrust, LicenseSource, type LicenseTrust } from './licensing/license';
import { StartupError } from './errors';
import { certificateNames } from './tls/certificates';
import { watchServerCertificate } from './tls/certificate-watch';
import { renewIfExpiring } from './tls/server-certificate-renewal';
import { DATABASE_URL_ENV, openStorage } from './storage/open-storage';

export interface ServeOptions {
  dataDir: string;
  listen: { host: string; port: number };
  env: NodeJS.ProcessEnv;
  keyFile?: string | undefined;
  /** A certificate chain and key of the user's own, instead of the data dir's. */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /** Where log lines go (default stdout); tests read them here. */
  logStream?: { write(line: string): void };
  /** A postgres:// URL (the app role) to keep the data in PostgreSQL; SQLite in the data dir otherwise. */
  database?: string | undefined;
  /** Test-only trust seam: the production CLI always uses the built-in vendor keys. */
  licenseTrust?: LicenseTrust;
  clock?: () => Date;
  /** Per-tenant ingest admission and the fair writer; off only to demonstrate what they prevent. */
  fairness?: boolean;
  /** Ingest connections one agent token and one tenant may hold open (default: DEFAULT_CONNECTION_LIMITS). */
  ingestConnections?: Partial<ConnectionLimits> | undefined;
  /** SQLite: the pooled telemetry cells new pooled tenants are spread over (see SqliteStorageOptions). */
  telemetryCells?: number | undefined;
  /** How long a recovery request waits before a new onboarding token can be minted (default 72 h). */
  recoveryWaitMs?: number | undefined;
  /** Where browsers reach this control plane (https://host[:port]), for sign-in redirects; default: its certificate's names. */
  publicUrl?: string | undefined;
  /** A file holding the Prometheus scrape token /metrics also accepts (the CLI's `metrics-token`). */
  metricsTokenFile?: string | undefined;
  /** Tenants' hosts are `<slug>.<base domain>` (branding resolves by it); lowercase, no trailing dot. */
  baseDomain?: string | undefined;
  /** The built tenant portal; default: out/portal beside the sources or the bundle, when it exists. */
  portalDir?: string | null | undefined;
  /** The server's connection timeouts (default SERVER_TIMEOUTS, server-timeouts.ts); tests shorten them. */
  serverTimeouts?: Partial<ServerTimeouts> | undefined;
  /** How often the data dir's certificate is looked at for renewal or a change on disk (default 10 minutes). */
  certificateCheckMs?: number | undefined;
}

/** Parses `host:port` (`[::1]:8443` for IPv6). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError('listen_invalid', `--listen ${JSON.stringify(value)} is not host:port (for example 127.0.0.1:8443).`);
  }
  return { host, port };
}

/**
 * Everything serve checks before it opens a port or writes a byte: the deployment key, the data
 * dir's key binding, the license, the TLS material. Refusals are StartupErrors with one clear line.
 */
export async function prepareServer(options: ServeOptions): Promise<FastifyInstance> {
  const deploymentKey = loadDeploymentKey({ env: options.env, keyFile: options.keyFile });
  const paths = checkDataDir(options.dataDir, deploymentKey);
  const clock = options.clock ?? (() => new Date());
  const license = new LicenseSource(paths.license, options.licenseTrust ?? builtInLicenseTrust, clock);
  const ownTls = options.tlsCertFile !== undefined || options.tlsKeyFile !== undefined;
  // The data dir's certificate is ours to renew (its CA is in the data dir); a certificate of the user's own is not.
  const renewed = ownTls ? null : await renewAtStart(paths, deploymentKey, clock());
  const tls = ownTls ? loadOwnTls(options.tlsCertFile, options.tlsKeyFile) : loadDataDirTls(paths, deploymentKey);
  const metricsToken = options.metricsTokenFile === undefined ? undefined : ScrapeToken.fromFile(options.metricsTokenFile);
  const engine = dataDirEngineConfig(paths, options.database ?? options.env[DATABASE_URL_ENV]);
  const storage = await openStorage(engine.engine === 'sqlite' && options.telemetryCells !== undefined ? { ...engine, telemetryCells: options.telemetryCells } : engine, paths.root, deploymentKey);
  try {
    // A crash between creating a tenant's own stores and committing its row leaves files without a tenant: remove them.
    const orphans = await storage.sweepOrphanStores();
    const app = await buildApp({
      storage,
      license,
      deploymentKey,
      clock,
      https: { key: tls.key, cert: tls.cert },
      serverTimeouts: options.serverTimeouts,
      ingest: { fairness: options.fairness ?? true, ...(options.ingestConnections === undefined ? {} : { connections: options.ingestConnections }) },
      ...(metricsToken === undefined ? {} : { metricsToken }),
      ...(options.recoveryWaitMs === undefined ? {} : { recoveryWaitMs: options.recoveryWaitMs }),
      ...(options.baseDomain === undefined ? {} : { baseDomain: options.baseDomain }),
      portalDir: options.portalDir === undefined ? builtPortal() : options.portalDir,
      ...(options.publicUrl === undefined ? { knownHosts: certificateNames(tls.cert) } : { publicUrl: options.publicUrl }),
      logger: {
        level: options.logLevel ?? 'info',
        ...(options.logStream === undefined ? {} : { stream: options.logStream }),
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      },
    });
    if (orphans.length > 0) {
      app.log.warn({ orphans }, 'removed what an interrupted tenant create or delete left behind');
    }
    if (renewed !== null) {
      app.log.info({ event: 'certificate_renewed', valid_to: renewed.validTo.toISOString(), names: renewed.names }, 'renewed the server certificate from the data dir CA');
    }
    if (!ownTls) {
      const watch = watchServerCertificate({
        paths,
        deploymentKey,
        clock,
        intervalMs: options.certificateCheckMs,
        load: () => loadDataDirTls(paths, deploymentKey),
        apply: ({ cert, key }) => (app.server as unknown as HttpsServer).setSecureContext({ ...TLS_OPTIONS, cert, key }),
        log: app.log,
      });
      app.addHook('onClose', () => watch.stop());
    }
    return app;
  } catch (error) {
    await storage.close();
    throw error;
  }
}

async function renewAtStart(paths: Parameters<typeof renewIfExpiring>[0], deploymentKey: Buffer, now: Date) {
  try {
    return await renewIfExpiring(paths, deploymentKey, now);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError('tls_invalid', `The server certificate is due for renewal and could not be renewed (${(error as Error).message}).`);
  }
}

/** out/portal, from the sources (control-plane/) or from the bundle (out/main/), if it was built. */
function builtPortal(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', 'out', 'portal'), resolve(here, '..', 'portal')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

function loadOwnTls(certFile: string | undefined, keyFile: string | undefined): { cert: string; key: string } {
  if (certFile === undefined || keyFile === undefined) {
    throw new StartupError('tls_invalid', 'Give both --tls-cert and --tls-key, or neither (to use the data dir certificate).');
  }
  try {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } catch (error) {
    throw new StartupError('tls_invalid', `Cannot read the TLS certificate or key (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
  }
}

/** Connections waiting to be accepted: room for thousands of agents connecting together. */
export const LISTEN_BACKLOG = 4096;

/** Listens, and closes gracefully (in-flight requests finish, storage closes) on SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = await prepareServer(options);
  // Node's default backlog (511) drops the SYNs of a fleet of agents that reconnects at once (after a
  // restart): they would wait out SYN retransmits of 1, 3, 7 s. The kernel caps it at somaxconn.
  await app.listen({ host: options.listen.host, port: options.listen.port, backlog: LISTEN_BACKLOG });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.listen.port;
  const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  const url = `https://${host}:${port}`;
  app.log.info({ url, event: 'listening' }, 'listening');
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      return;
    }
    closing = true;
    app.log.info({ signal }, 'closing');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return { app, url };
}
