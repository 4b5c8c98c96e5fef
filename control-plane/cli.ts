#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { LicensePayload, LicenseTier } from '../contracts/license';
import { newScrapeToken } from './auth/scrape-token';
import { isHostName } from './branding/host-names';
import { generateDeploymentKey, loadDeploymentKey } from './crypto/deployment-key';
import { checkDataDir, initDataDir } from './data-dir';
import { runUsageCommand, UsageCommandError } from './metering/usage-command';
import { runRotateKeyCommand } from './ledgers/rotate-key-command';
import { renewServerCertificate } from './tls/server-certificate-renewal';
import { AUDIT_TOKEN_ENV, runVerifyRemote, VerifyRemoteUsageError } from './ledgers/verify-remote';
import evaluationLicense from './licensing/evaluation-license.json';
import { builtInLicenseTrust, readLicenseFile, signLicense } from './licensing/license';
import { promptHidden } from './prompt';
import { parseListen, serve } from './server';
import { DATABASE_URL_ENV, engineFrom } from './storage/open-storage';
import { DEFAULT_TELEMETRY_CELLS } from './storage/sqlite/sqlite-storage';
import { DEFAULT_CONNECTION_LIMITS } from './ingest/connection-bounds';
import { runMigrations } from './storage/postgres/migrate';
import { StartupError } from './errors';

export const ADMIN_PASSWORD_ENV = 'BULKHEAD_ADMIN_PASSWORD';

/** Exit codes: 1 the command failed, 2 bad usage (an unknown flag, a bad value: nothing was done). */
function fail(message: string, exitCode: 1 | 2 = 1): never {
  process.stderr.write(`control-plane: ${message}\n`);
  process.exit(exitCode);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive whole number');
  }
  return n;
}

function telemetryCells(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  }
  return n;
}

function publicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as https://cp.example.com');
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new InvalidArgumentError('must be an https:// origin, such as https://cp.example.com or https://cp.example.com:8443, with no path');
  }
  return url.origin;
}

function baseDomain(value: string): string {
  const name = value.toLowerCase().replace(/\.$/, '');
  if (!isHostName(name)) {
    throw new InvalidArgumentError('must be a domain name such as tenants.example.com (two labels or more, no port, not an IP address)');
  }
  return name;
}

function recoveryWaitHours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 24 * 30) {
    throw new InvalidArgumentError('must be a number of hours from 1 to 720');
  }
  return n;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function adminPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    return readStdin();
  }
  const fromEnv = process.env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  if (!process.stdin.isTTY) {
    fail(`no admin password: set ${ADMIN_PASSWORD_ENV} or run init in a terminal to be prompted.`);
  }
  const first = await promptHidden('Password for the first provider admin (12+ characters): ');
  const second = await promptHidden('Repeat the password: ');
  if (first !== second) {
    fail('the two passwords differ; nothing was created.');
  }
  return first;
}

const program = new Command()
  .name('control-plane')
  .description('Bulkhead control plane: the provider and tenant planes over HTTPS.')
  .showHelpAfterError()
  // Usage errors throw (to exit 2 below) instead of exiting 1; subcommands inherit it.
  .exitOverride();

program
  .command('init')
  .description('Create a data dir: private CA and server certificate, the license, and the first provider admin (prints its TOTP enrollment, to confirm with a first code).')
  .requiredOption('--data <dir>', 'data directory to create (must not exist, or be empty)')
  .requiredOption('--admin <username>', 'username of the first provider admin')
  .option('--san <name>', 'extra DNS name or IP for the server certificate (repeatable)', collect, [])
  .option('--license <file>', 'license file to install (default: the evaluation license)')
  .option('--key-file <file>', 'deployment key file (default: $BULKHEAD_DEPLOYMENT_KEY)')
  .option('--database <url>', `keep the data in PostgreSQL (postgres:// URL of the app role; default $${DATABASE_URL_ENV}, else SQLite in the data dir)`)
  .option('--password-stdin', `read the admin password from standard input (else $${ADMIN_PASSWORD_ENV} or a prompt)`)
  .option('--json', 'print the result as one JSON object')
  .action(async (options: { data: string; admin: string; san: string[]; license?: string; keyFile?: string; database?: string; passwordStdin?: boolean; json?: boolean }) => {
    const deploymentKey = loadDeploymentKey({ env: process.env, keyFile: options.keyFile });
    let licenseText = JSON.stringify(evaluationLicense, null, 2) + '\n';
    if (options.license !== undefined) {
      try {
        licenseText = readFileSync(options.license, 'utf8');
      } catch (error) {
        throw new StartupError('license_missing', `Cannot read the license ${options.license} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
      }
    }
    const password = await adminPassword(options.passwordStdin === true);
    const result = await initDataDir({
      dataDir: options.data,
      deploymentKey,
      admin: { username: options.admin, password },
      subjectAltNames: options.san,
      licenseText,
      licenseTrust: builtInLicenseTrust,
      now: new Date(),
      engine: engineFrom(options.database ?? process.env[DATABASE_URL_ENV]),
    });
    if (options.json) {
      process.stdout.write(
        JSON.stringify({ data_dir: result.paths.root, ca_cert: result.paths.caCert, admin: { id: result.adminId, username: result.username }, otpauth_uri: result.otpauthUri, secret: result.totpSecret }) + '\n',
      );
      return;
    }
    process.stdout.write(
      [
        `Initialized ${result.paths.root}`,
        `  CA certificate: ${result.paths.caCert}  (curl --cacert ${result.paths.caCert} https://127.0.0.1:8443/healthz)`,
        `  Provider admin: ${result.username}`,
        '',
        'Add this to the admin\'s authenticator app now:',
        `  ${result.otpauthUri}`,
        `  secret: ${result.totpSecret}`,
        '',
        'Then finish the enrollment with a first code: sign in once at the console (or POST',
        '/provider/v1/auth/enrollment/confirm with username, password and totp). That signs the admin in',
        'and shows its recovery codes, once. Until then the admin cannot sign in.',
        '',
      ].join('\n'),
    );
  });

program
  .command('serve')
  .description('Serve the control plane over HTTPS. Refuses to start without a valid deployment key and license.')
  .requiredOption('--data <dir>', 'an initialized data directory')
  .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8443')
  .option('--key-file <file>', 'deployment key file (default: $BULKHEAD_DEPLOYMENT_KEY)')
  .option('--database <url>', `PostgreSQL (postgres:// URL of the app role; default $${DATABASE_URL_ENV}) for a data dir initialized with one`)
  .option('--tls-cert <file>', 'your own certificate chain (PEM) instead of the data dir certificate')
  .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'))
  .addOption(new Option('--fairness <mode>', 'per-tenant ingest admission and the fair writer; "off" only to demonstrate what they prevent').choices(['on', 'off']).default('on'))
  .option('--telemetry-cells <n>', `SQLite: files new pooled tenants' telemetry is spread over, each with its own writer, 1 to 64 (default ${DEFAULT_TELEMETRY_CELLS}; placed tenants keep theirs)`, telemetryCells)
  .option('--max-agent-connections <n>', `ingest connections one agent token may hold open; more are refused (429 with Retry-After, then closed) (default ${DEFAULT_CONNECTION_LIMITS.perAgent})`, positiveInt)
  .option('--max-tenant-connections <n>', `ingest connections all of one tenant's agents may hold open together (default ${DEFAULT_CONNECTION_LIMITS.perTenant})`, positiveInt)
  .option('--public-url <url>', 'where browsers reach this control plane (https://host[:port]), for tenant sign-in redirects; default: the host names of its certificate', publicUrl)
  .option('--base-domain <domain>', "tenants' hosts are <slug>.<domain>: their sign-in walls resolve their brand by it, and no custom domain may be under it", baseDomain)
  .option('--recovery-wait-hours <hours>', 'how long a recovery request waits, cancellable by the tenant, before a new onboarding token can be minted (default 72)', recoveryWaitHours)
  .option('--metrics-token-file <file>', 'a scrape token (from `metrics-token`) that GET /metrics accepts besides operator sessions')
  .action(async (options: { data: string; listen: string; keyFile?: string; database?: string; tlsCert?: string; tlsKey?: string; logLevel: 'info'; fairness: 'on' | 'off'; telemetryCells?: number; maxAgentConnections?: number; maxTenantConnections?: number; recoveryWaitHours?: number; publicUrl?: string; metricsTokenFile?: string; baseDomain?: string }) => {
    await serve({
      ingestConnections: {
        ...(options.maxAgentConnections === undefined ? {} : { perAgent: options.maxAgentConnections }),
        ...(options.maxTenantConnections === undefined ? {} : { perTenant: options.maxTenantConnections }),
      },
      metricsTokenFile: options.metricsTokenFile,
      fairness: options.fairness === 'on',
      recoveryWaitMs: options.recoveryWaitHours === undefined ? undefined : options.recoveryWaitHours * 3600_000,
      publicUrl: options.publicUrl,
      baseDomain: options.baseDomain,
      telemetryCells: options.telemetryCells,
      database: options.database,
      dataDir: options.data,
      listen: parseListen(options.listen),
      env: process.env,
      keyFile: options.keyFile,
      tlsCertFile: options.tlsCert,
      tlsKeyFile: options.tlsKey,
      logLevel: options.logLevel,
    });
  });

program
  .command('migrate')
  .description('Create or update the PostgreSQL schema, as the owner role; the server later connects as the app role.')
  .requiredOption('--database <url>', 'postgres:// URL of the OWNER role')
  .requiredOption('--app-role <role>', 'the role the server connects as (no superuser, no BYPASSRLS, owns nothing)')
  .action(async (options: { database: string; appRole: string }) => {
    const { applied } = await runMigrations(options.database, options.appRole);
    process.stdout.write(applied === 0 ? 'The schema is up to date.\n' : `Applied ${applied} migration${applied === 1 ? '' : 's'}.\n`);
  });

program
  .command('keygen')
  .description('Generate a deployment encryption key (32 random bytes, base64).')
  .option('--out <file>', 'write it to this file (mode 0600) instead of stdout')
  .action((options: { out?: string }) => {
    const key = generateDeploymentKey();
    if (options.out === undefined) {
      process.stdout.write(key + '\n');
      return;
    }
    try {
      writeFileSync(options.out, key + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      fail(`cannot write ${options.out} (${(error as NodeJS.ErrnoException).code ?? 'error'}); an existing key file is never overwritten.`);
    }
    process.stderr.write(`Deployment key written to ${options.out}. Keep it safe: without it the data dir cannot be opened.\n`);
  });

program
  .command('metrics-token')
  .description('Generate a Prometheus scrape token for serve --metrics-token-file (GET /metrics takes a credential from everyone).')
  .requiredOption('--out <file>', 'write it to this file (mode 0600); the scraper reads the same file (bearer_token_file)')
  .action((options: { out: string }) => {
    try {
      writeFileSync(options.out, newScrapeToken() + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      fail(`cannot write ${options.out} (${(error as NodeJS.ErrnoException).code ?? 'error'}); an existing token file is never overwritten.`);
    }
    process.stderr.write(`Scrape token written to ${options.out}. Start serve with --metrics-token-file ${options.out}; point Prometheus's bearer_token_file at it.\n`);
  });

const license = program.command('license').description('Inspect and (vendor only) issue licenses.');

license
  .command('show')
  .description('Verify a license file and print what it grants.')
  .argument('<file>', 'license file, e.g. <data>/license.json')
  .action((file: string) => {
    const payload = readLicenseFile(file, builtInLicenseTrust, new Date());
    process.stdout.write(JSON.stringify(payload, null, 2) + '\n');
  });

license
  .command('issue')
  .description('Sign a license with a vendor Ed25519 private key given at run time (the key never enters the repository).')
  .requiredOption('--signing-key <file>', 'Ed25519 private key (PEM)')
  .requiredOption('--key-id <id>', 'id of the signing key, as built into the product')
  .requiredOption('--licensee <name>', 'who the license is for')
  .addOption(new Option('--tier <tier>', 'license tier').choices(LicenseTier.options).makeOptionMandatory())
  .requiredOption('--band <n>', 'tenant band: the most tenants allowed', positiveInt)
  .requiredOption('--expires <date>', 'expiry, ISO-8601 (e.g. 2027-12-31T23:59:59Z)')
  .option('--license-id <id>', 'license id (default: random)')
  .option('--out <file>', 'write here instead of stdout')
  .action((options: { signingKey: string; keyId: string; licensee: string; tier: string; band: number; expires: string; licenseId?: string; out?: string }) => {
    const expires = new Date(options.expires);
    if (Number.isNaN(expires.getTime())) {
      fail(`--expires ${JSON.stringify(options.expires)} is not a date.`);
    }
    const payload = LicensePayload.parse({
      license_id: options.licenseId ?? crypto.randomUUID(),
      licensee: options.licensee,
      tier: options.tier,
      tenant_band: options.band,
      issued_at: new Date().toISOString(),
      expires_at: expires.toISOString(),
    });
    const document = JSON.stringify(signLicense(payload, readFileSync(options.signingKey, 'utf8'), options.keyId), null, 2) + '\n';
    if (options.out === undefined) {
      process.stdout.write(document);
    } else {
      writeFileSync(options.out, document, { mode: 0o644 });
    }
  });

license
  .command('keygen')
  .description('Generate a vendor license-signing key pair (private key to a file, public key to stdout).')
  .requiredOption('--out <file>', 'where to write the private key (mode 0600, never overwritten)')
  .action((options: { out: string }) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(options.out, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    process.stdout.write(publicKey.export({ type: 'spki', format: 'pem' }));
  });

program
  .command('usage')
  .description("Write the usage export for billing (the CSV of GET /provider/v1/usage/export) for a period, from the data dir's storage: for cron jobs, no server needed. Exit 0 written, 1 failed, 2 bad usage.")
  .requiredOption('--data <dir>', 'an initialized data directory')
  .option('--from <date>', 'first UTC day of the period, YYYY-MM-DD (default: the first day of --to\'s month, or of the current month)')
  .option('--to <date>', 'last UTC day of the period, included, YYYY-MM-DD (default: the last day of --from\'s month)')
  .addOption(new Option('--format <format>', 'csv (header first, CRLF) or json').choices(['csv', 'json']).default('csv'))
  .option('--out <file>', 'write to this file (it appears only once complete) instead of stdout')
  .option('--key-file <file>', 'deployment key file (default: $BULKHEAD_DEPLOYMENT_KEY)')
  .option('--database <url>', `PostgreSQL (postgres:// URL of the app role; default $${DATABASE_URL_ENV}) for a data dir initialized with one`)
  .addHelpText('after', '\nExample (cron, last month): control-plane usage --data /var/lib/bulkhead --from 2026-11-01 --out /srv/billing/usage-2026-11.csv')
  .action(async (options: { data: string; from?: string; to?: string; format: 'csv' | 'json'; out?: string; keyFile?: string; database?: string }) => {
    await runUsageCommand(options, process.env, process.stdout);
  });

const audit = program.command('audit').description('The ledgers\' signed tree heads: witness them from outside, rotate the key that signs them.');

audit
  .command('verify-remote')
  .description('Witness a ledger: check the new signed head against the published keys and, with a consistency proof, against the head saved by the last run; save the new head. Exit 0 consistent, 1 HISTORY REWRITTEN (or not checkable), 2 bad usage.')
  .requiredOption('--url <url>', 'the control plane, https://host:port')
  .option('--ca <file>', 'CA certificate (PEM) to trust for --url, e.g. the data dir\'s tls/ca.crt')
  .requiredOption('--head <file>', 'the head saved by the last run (created on the first run, replaced after each consistent one)')
  .option('--token-file <file>', `credential (default $${AUDIT_TOKEN_ENV}): an operator session witnesses the provider ledger, a tenant token its tenant's`)
  .action(async (options: { url: string; ca?: string; head: string; tokenFile?: string }) => {
    process.exitCode = await runVerifyRemote(options, process.env, process.stdout, process.stderr);
  });

audit
  .command('rotate-key')
  .description('Retire the active ledger signing key and make a new one (the retired public key stays listed, so old heads still verify).')
  .requiredOption('--data <dir>', 'an initialized data directory')
  .option('--key-file <file>', 'deployment key file (default: $BULKHEAD_DEPLOYMENT_KEY)')
  .option('--database <url>', `PostgreSQL (postgres:// URL of the app role; default $${DATABASE_URL_ENV}) for a data dir initialized with one`)
  .action(async (options: { data: string; keyFile?: string; database?: string }) => {
    const { retired, active } = await runRotateKeyCommand(options, process.env);
    process.stdout.write(`${retired.length === 0 ? 'No key was active.' : `Retired ${retired.join(', ')}.`} Heads are now signed by ${active}.\n`);
  });

const tls = program.command('tls').description("The data dir's server certificate (signed by the data dir's own CA).");

tls
  .command('renew')
  .description("Issue a new server certificate from the data dir's CA, for the names it covers and any --san: the CA stays, so clients that trust or pin ca.crt keep working. A running serve applies it within 10 minutes (and renews by itself 30 days before expiry).")
  .requiredOption('--data <dir>', 'an initialized data directory')
  .option('--san <name>', 'a DNS name or IP to add to the certificate (repeatable)', collect, [])
  .option('--key-file <file>', 'deployment key file (default: $BULKHEAD_DEPLOYMENT_KEY)')
  .action(async (options: { data: string; san: string[]; keyFile?: string }) => {
    const deploymentKey = loadDeploymentKey({ env: process.env, keyFile: options.keyFile });
    const paths = checkDataDir(options.data, deploymentKey);
    const renewed = await renewServerCertificate(paths, deploymentKey, { addNames: options.san, now: new Date() });
    process.stdout.write(`Renewed ${paths.serverCert}: valid until ${renewed.validTo.toISOString()} for ${renewed.names.join(', ')}.\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and --version end here too, with exit code 0; commander already printed what was wrong.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UsageCommandError || error instanceof VerifyRemoteUsageError) {
    fail(error.message, 2);
  }
  if (error instanceof StartupError) {
    fail(error.message);
  }
  fail(error instanceof Error ? error.message : String(error));
});
