import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { Password, Username } from '../contracts/operators';
import { hashPassword } from './auth/password';
import { newTotpSecret, totpUri } from './auth/totp';
import { deploymentKeyId } from './crypto/deployment-key';
import { open, seal } from './crypto/seal';
import { sealPurpose } from './crypto/seal-purposes';
import { verifyLicense, type LicenseTrust } from './licensing/license';
import { StartupError } from './errors';
import { PROVIDER_LEDGER } from './audit/ledger-ids';
import { DATABASE_URL_ENV, engineFrom, openStorageForInit, type EngineConfig } from './storage/open-storage';
import { createCertificateAuthority, createServerCertificate, defaultServerNames, isValidSubjectAltName } from './tls/certificates';
import { finishInterruptedRenewal } from './tls/server-certificate-renewal';

/** Where everything lives inside a data dir. */
export function dataDirPaths(root: string) {
  const dir = resolve(root);
  return {
    root: dir,
    marker: join(dir, 'deployment.json'),
    license: join(dir, 'license.json'),
    tlsDir: join(dir, 'tls'),
    caCert: join(dir, 'tls', 'ca.crt'),
    caKeySealed: join(dir, 'tls', 'ca.key.sealed'),
    serverCert: join(dir, 'tls', 'server.crt'),
    serverKeySealed: join(dir, 'tls', 'server.key.sealed'),
    controlDb: join(dir, 'control-plane.db'),
  };
}
export type DataDirPaths = ReturnType<typeof dataDirPaths>;

const Marker = z.object({ format: z.literal(1), deployment_key_id: z.string(), created_at: z.string(), engine: z.enum(['sqlite', 'postgres']).default('sqlite') });


export interface InitOptions {
  dataDir: string;
  deploymentKey: Buffer;
  admin: { username: string; password: string };
  /** Extra names for the server certificate besides localhost/127.0.0.1/::1. */
  subjectAltNames: readonly string[];
  /** The license document to install (JSON text). */
  licenseText: string;
  licenseTrust: LicenseTrust;
  now: Date;
  /** Where the data lives; SQLite in the data dir by default. */
  engine?: EngineConfig;
}

export interface InitResult {
  paths: DataDirPaths;
  adminId: string;
  username: string;
  otpauthUri: string;
  totpSecret: string;
}

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/**
 * Creates a data dir: private CA and server certificate, the license, the deployment marker and
 * the first provider admin. Everything is validated first and built in a sibling temp dir that is
 * renamed into place at the end, so a refused or failed init leaves nothing behind; an existing,
 * non-empty data dir is refused and left untouched.
 */
export async function initDataDir(options: InitOptions): Promise<InitResult> {
  const paths = dataDirPaths(options.dataDir);
  if (existsSync(paths.root) && !isEmptyDir(paths.root)) {
    throw new StartupError('data_dir_exists', `${paths.root} already exists and is not empty; init changes nothing. Use serve, or choose a new directory.`);
  }
  const username = Username.safeParse(options.admin.username);
  if (!username.success) {
    throw new StartupError('admin_invalid', `Invalid admin username: ${username.error.issues[0]?.message ?? 'invalid'}.`);
  }
  const password = Password.safeParse(options.admin.password);
  if (!password.success) {
    throw new StartupError('admin_invalid', `Invalid admin password: ${password.error.issues[0]?.message ?? 'invalid'}.`);
  }
  const badName = options.subjectAltNames.find((name) => !isValidSubjectAltName(name));
  if (badName !== undefined) {
    throw new StartupError('tls_invalid', `--san ${JSON.stringify(badName)} is neither a DNS name nor an IP address.`);
  }
  let licenseDocument: unknown;
  try {
    licenseDocument = JSON.parse(options.licenseText);
  } catch {
    throw new StartupError('license_invalid', 'The license to install is not valid JSON.');
  }
  verifyLicense(licenseDocument, options.licenseTrust, options.now);

  const staging = join(dirname(paths.root), `.${basename(paths.root)}.init-${randomUUID()}`);
  const staged = dataDirPaths(staging);
  try {
    mkdirSync(staged.tlsDir, { recursive: true, mode: 0o700 });
    const ca = await createCertificateAuthority(`Bulkhead deployment CA ${deploymentKeyId(options.deploymentKey).slice(0, 8)}`, options.now);
    const server = await createServerCertificate(ca, [...defaultServerNames, ...options.subjectAltNames], options.now);
    writeFileSync(staged.caCert, ca.certPem, { mode: 0o644 });
    writeFileSync(staged.caKeySealed, seal(options.deploymentKey, Buffer.from(ca.keyPem), sealPurpose.caKey), { mode: 0o600 });
    writeFileSync(staged.serverCert, server.certPem + ca.certPem, { mode: 0o644 });
    writeFileSync(staged.serverKeySealed, seal(options.deploymentKey, Buffer.from(server.keyPem), sealPurpose.serverKey), { mode: 0o600 });
    writeFileSync(staged.license, options.licenseText, { mode: 0o644 });

    const adminId = randomUUID();
    const totpSecret = newTotpSecret();
    // Hashed before the transaction opens: nothing slow runs while it holds the store.
    const passwordHash = await hashPassword(password.data);
    const { storage, commit } = await openStorageForInit(options.engine ?? { engine: 'sqlite' }, staged.root, options.deploymentKey);
    try {
      const createdAt = options.now.toISOString();
      await storage.transaction(async (tx) => {
        await tx.createOperator({
          id: adminId,
          username: username.data,
          passwordHash,
          totpSecretSealed: seal(options.deploymentKey, Buffer.from(totpSecret), sealPurpose.operatorTotp(adminId)),
          roles: ['provider_admin'],
          createdAt,
          // Pending until the admin confirms its authenticator with a first code (POST /auth/enrollment/confirm).
          totpConfirmedAt: null,
        });
        await tx.appendLedger(
          PROVIDER_LEDGER,
          { actor: 'system:init', eventType: 'OPERATOR_CREATED', tenantId: null, details: { operator_id: adminId, username: username.data, roles: ['provider_admin'] } },
          createdAt,
        );
      });
      await commit(createdAt);
    } finally {
      await storage.close();
    }
    // The marker goes last: a staged dir without it is never mistaken for a data dir.
    const marker: z.infer<typeof Marker> = {
      format: 1,
      deployment_key_id: deploymentKeyId(options.deploymentKey),
      created_at: options.now.toISOString(),
      engine: options.engine?.engine ?? 'sqlite',
    };
    writeFileSync(staged.marker, JSON.stringify(marker, null, 2) + '\n', { mode: 0o644 });
    if (existsSync(paths.root)) {
      // The existing dir was checked empty above; rmdir removes only an empty directory.
      rmdirSync(paths.root);
    }
    renameSync(staging, paths.root);
    return { paths, adminId, username: username.data, otpauthUri: totpUri(username.data, totpSecret), totpSecret };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Refuses a data dir that was never initialized or that belongs to another deployment key. Reads only. */
export function checkDataDir(root: string, deploymentKey: Buffer): DataDirPaths {
  const paths = dataDirPaths(root);
  if (!existsSync(paths.root)) {
    throw new StartupError('data_dir_missing', `No data dir at ${paths.root}; create one with: control-plane init --data ${paths.root} --admin <username>.`);
  }
  let marker: z.infer<typeof Marker>;
  try {
    marker = Marker.parse(JSON.parse(readFileSync(paths.marker, 'utf8')));
  } catch {
    throw new StartupError('data_dir_invalid', `${paths.root} is not an initialized Bulkhead data dir (deployment.json missing or unreadable).`);
  }
  if (marker.deployment_key_id !== deploymentKeyId(deploymentKey)) {
    throw new StartupError(
      'deployment_key_mismatch',
      `The data dir ${paths.root} belongs to another deployment key; start it with the key it was created with.`,
    );
  }
  return paths;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  ca: string;
}

/** The server's TLS material from the data dir, its key opened with the deployment key. */
export function loadDataDirTls(paths: DataDirPaths, deploymentKey: Buffer): TlsMaterial {
  try {
    finishInterruptedRenewal(paths);
    const key = open(deploymentKey, readFileSync(paths.serverKeySealed), sealPurpose.serverKey).toString('utf8');
    return { cert: readFileSync(paths.serverCert, 'utf8'), key, ca: readFileSync(paths.caCert, 'utf8') };
  } catch (error) {
    throw new StartupError('tls_invalid', `The TLS material in ${paths.tlsDir} cannot be loaded (${(error as Error).message}).`);
  }
}

/** The engine a data dir was initialized for (its marker says; SQLite for data dirs from before engines existed). */
export function dataDirEngine(paths: DataDirPaths): 'sqlite' | 'postgres' {
  try {
    return Marker.parse(JSON.parse(readFileSync(paths.marker, 'utf8'))).engine;
  } catch {
    return 'sqlite';
  }
}

/** The engine of an initialized data dir: `database` (a postgres:// URL) must be given exactly when the dir was initialized with one. */
export function dataDirEngineConfig(paths: DataDirPaths, database: string | undefined): EngineConfig {
  const engine = engineFrom(database);
  const initializedFor = dataDirEngine(paths);
  if (initializedFor !== engine.engine) {
    throw new StartupError(
      'data_dir_invalid',
      initializedFor === 'postgres' ? `The data dir ${paths.root} keeps its data in PostgreSQL: give --database (or ${DATABASE_URL_ENV}).` : `The data dir ${paths.root} keeps its data in SQLite: drop --database.`,
    );
  }
  return engine;
}
