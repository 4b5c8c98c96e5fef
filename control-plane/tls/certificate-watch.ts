import { statSync } from 'node:fs';
import { renewIfExpiring, type RenewedCertificate, type ServerTlsPaths } from './server-certificate-renewal';

/** How often a running server looks at its certificate: renewed by `tls renew` or due for renewal. */
export const CERTIFICATE_CHECK_MS = 10 * 60 * 1000;

export interface CertificateWatchOptions {
  paths: ServerTlsPaths;
  deploymentKey: Buffer;
  clock: () => Date;
  intervalMs?: number;
  /** Reads the certificate and key from disk (the key opened with the deployment key). */
  load: () => { cert: string; key: string };
  /** Puts new material in force for new connections (https.Server#setSecureContext). */
  apply: (material: { cert: string; key: string }) => void;
  log: { info(details: object, message: string): void; error(details: object, message: string): void };
}

/**
 * Keeps a long-running server's certificate current without a restart: every check renews it when
 * it is close to expiry, and applies whatever is on disk once the file changed (a renewal here, or
 * `control-plane tls renew` run beside the server). Connections already open keep their session.
 * A failed check is logged and tried again at the next one; it never stops the server.
 */
export function watchServerCertificate(options: CertificateWatchOptions): { check(): Promise<void>; stop(): void } {
  // A renewal renames a new file into place: a new inode, whatever the clock's resolution.
  const modified = () => {
    const stat = statSync(options.paths.serverCert);
    return `${stat.ino}:${stat.mtimeMs}`;
  };
  let applied = modified();
  let running: Promise<void> | null = null;

  const checkOnce = async () => {
    try {
      const renewed: RenewedCertificate | null = await renewIfExpiring(options.paths, options.deploymentKey, options.clock());
      if (renewed !== null) {
        options.log.info({ event: 'certificate_renewed', valid_to: renewed.validTo.toISOString(), names: renewed.names }, 'renewed the server certificate from the data dir CA');
      }
      const now = modified();
      if (now === applied) return;
      options.apply(options.load());
      applied = now;
      options.log.info({ event: 'certificate_applied' }, 'new connections use the server certificate now on disk');
    } catch (error) {
      options.log.error({ event: 'certificate_check_failed', err: error }, 'the server certificate could not be checked or renewed; trying again later');
    }
  };
  // One check at a time: a slow one (key generation) is never overlapped by the next tick.
  const check = () => (running ??= checkOnce().finally(() => (running = null)));
  const timer = setInterval(() => void check(), options.intervalMs ?? CERTIFICATE_CHECK_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
