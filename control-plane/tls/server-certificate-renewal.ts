import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { open, seal } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { StartupError } from '../errors';
import { certificateNames, createServerCertificate, describeCertificate, isValidSubjectAltName } from './certificates';

const DAY_MS = 24 * 3600 * 1000;

/** A data dir's certificate is renewed by itself once it has fewer days left than this. */
export const RENEW_WITHIN_DAYS = 30;

/** The files a renewal touches (a subset of dataDirPaths, so this module does not depend on it). */
export interface ServerTlsPaths {
  caCert: string;
  caKeySealed: string;
  serverCert: string;
  serverKeySealed: string;
}

export interface RenewedCertificate {
  validTo: Date;
  names: string[];
}

const next = (file: string) => `${file}.next`;

function writeDurably(file: string, data: Buffer, mode: number): void {
  const fd = openSync(file, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Completes or undoes a renewal a crash interrupted, so the certificate and key on disk always
 * belong together. A renewal writes `key.next` and `crt.next`, then renames the key, then the
 * certificate: a lone `crt.next` means the new key is already in place and its certificate must
 * follow; anything else left over is a renewal that never started to apply and is dropped.
 */
export function finishInterruptedRenewal(paths: ServerTlsPaths): void {
  const keyNext = existsSync(next(paths.serverKeySealed));
  const certNext = existsSync(next(paths.serverCert));
  if (certNext && !keyNext) {
    renameSync(next(paths.serverCert), paths.serverCert);
    syncDirectory(dirname(paths.serverCert));
    return;
  }
  rmSync(next(paths.serverKeySealed), { force: true });
  rmSync(next(paths.serverCert), { force: true });
}

/** Days until the data dir's server certificate expires (negative once it has). */
export function daysLeft(paths: ServerTlsPaths, now: Date): number {
  return (describeCertificate(readFileSync(paths.serverCert, 'utf8')).validTo.getTime() - now.getTime()) / DAY_MS;
}

/**
 * A new server certificate from the data dir's own CA, for the names the current one covers plus
 * `addNames`, with a new key sealed by the deployment key. The CA stays, so every client that
 * trusts or pins `ca.crt` (curl, the console) keeps working without a change.
 */
export async function renewServerCertificate(
  paths: ServerTlsPaths,
  deploymentKey: Buffer,
  options: { addNames?: readonly string[]; now: Date },
): Promise<RenewedCertificate> {
  const addNames = (options.addNames ?? []).map((name) => name.toLowerCase());
  const badName = addNames.find((name) => !isValidSubjectAltName(name));
  if (badName !== undefined) {
    throw new StartupError('tls_invalid', `--san ${JSON.stringify(badName)} is neither a DNS name nor an IP address.`);
  }
  finishInterruptedRenewal(paths);
  let ca: { certPem: string; keyPem: string };
  let currentNames: string[];
  try {
    ca = {
      certPem: readFileSync(paths.caCert, 'utf8'),
      keyPem: open(deploymentKey, readFileSync(paths.caKeySealed), sealPurpose.caKey).toString('utf8'),
    };
    currentNames = certificateNames(readFileSync(paths.serverCert, 'utf8'));
  } catch (error) {
    throw new StartupError('tls_invalid', `The data dir's CA or certificate cannot be read (${(error as Error).message}); renewal needs the CA made by init.`);
  }
  const names = [...new Set([...currentNames, ...addNames])];
  const server = await createServerCertificate(ca, names, options.now);
  writeDurably(next(paths.serverKeySealed), seal(deploymentKey, Buffer.from(server.keyPem), sealPurpose.serverKey), 0o600);
  writeDurably(next(paths.serverCert), Buffer.from(server.certPem + ca.certPem), 0o644);
  renameSync(next(paths.serverKeySealed), paths.serverKeySealed);
  renameSync(next(paths.serverCert), paths.serverCert);
  syncDirectory(dirname(paths.serverCert));
  return { validTo: describeCertificate(server.certPem).validTo, names };
}

/** Renews the certificate when it has fewer than RENEW_WITHIN_DAYS left; null when it did not need to. */
export async function renewIfExpiring(paths: ServerTlsPaths, deploymentKey: Buffer, now: Date): Promise<RenewedCertificate | null> {
  finishInterruptedRenewal(paths);
  return daysLeft(paths, now) < RENEW_WITHIN_DAYS ? renewServerCertificate(paths, deploymentKey, { now }) : null;
}
