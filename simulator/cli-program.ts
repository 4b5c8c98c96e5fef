import { randomInt } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { decimal, parseBoolean, parseControlPlaneUrl, parseDuration, parseEnvName, wholeNumber } from './cli-options';
import { checkConnectOptions, type ConnectOptions } from './connection/connect';
import { probeControlPlane } from './control-plane-probe';
import { ExitCode, SimulatorError, UsageError } from './errors';
import { runFromCli } from './run-scenario';
import { checkNoisyNeighborOptions, noisyNeighborDefaults } from './scenarios/noisy-neighbor';
import { scimSyncDefaults } from './scenarios/scim-sync';
import { breakGlassDrillDefaults, checkBreakGlassDrillOptions } from './scenarios/break-glass-drill';
import { checkDemoOptions, demoDefaults } from './scenarios/demo';
import { checkIsolationProbeOptions, checkLoopback, isolationProbeDefaults } from './scenarios/isolation-probe';
import { checkEvidenceOptions, verifyEvidenceFile, writeEvidence } from './evidence/evidence-files';

interface CommonOptions {
  controlPlane?: string;
  ca?: string;
  operator?: string;
  passwordEnv?: string;
  totpSecretEnv?: string;
  seed?: number;
  tenants?: number;
  agents?: number;
  duration?: number;
  json?: string;
  keepTenants?: boolean;
}

/** Where the CLI writes, and how it ends: what `main` needs from its process. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** `--json <file>`: its folder must exist and be writable before a run starts, not only when it ends. */
function checkJsonTarget(file: string | undefined): void {
  if (file === undefined || file === '-') return;
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
  } catch {
    throw new UsageError(`--json ${file}: cannot write there (no such folder, or not writable)`);
  }
}

/** The `simulate` program; each action stores its exit code in `exit.code`. */
function buildProgram(io: CliIo, exit: { code: number }): Command {
  const program = new Command()
    .name('simulate')
    .description('Bulkhead simulator: fake tenants, IdPs and agents against a control plane, through its public API only.\nWithout --control-plane it starts an embedded control plane in a temporary data dir and removes it afterwards.')
    // Errors are ours to print: one line, exit 2 (see the catch at the end).
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text), outputError: () => undefined })
    .addHelpText('after', '\nExit codes: 0 every invariant holds, 1 an invariant failed (leaks > 0, lost > 0, a ledger that does not verify...), 2 bad usage, 3 the control plane could not be reached or set up.');

  /** The flags every scenario takes. */
  function scenarioCommand(name: string, description: string, defaults: { tenants?: number; agentsPerTenant?: number; durationMs?: number }): Command {
    const command = program
      .command(name)
      .description(description)
      .addOption(new Option('--control-plane <url>', 'a running control plane (default: start an embedded one)').argParser(parseControlPlaneUrl))
      .option('--ca <file>', "with --control-plane: the control plane's CA certificate (pinned; nothing else is trusted)")
      .option('--operator <username>', 'with --control-plane: the provider operator to sign in as (password + TOTP)')
      .addOption(new Option('--password-env <VAR>', "environment variable holding the operator's password").argParser(parseEnvName))
      .addOption(new Option('--totp-secret-env <VAR>', "environment variable holding the operator's TOTP secret (base32)").argParser(parseEnvName))
      .addOption(new Option('--seed <n>', 'seed for tenants, names, rates and order of events (default: random, printed)').argParser(wholeNumber(0, 2 ** 31 - 1)))
      .option('--json <file>', "write the report as JSON to <file> ('-' for stdout)")
      .option('--keep-tenants', "with --control-plane: keep the run's tenants afterwards (default: delete them)");
    // Sized by its fleet (a demo sizes its parts itself).
    if (defaults.tenants !== undefined) {
      command
        .addOption(new Option('--tenants <n>', `tenants to simulate (default ${defaults.tenants})`).argParser(wholeNumber(1, 1000)))
        .addOption(new Option('--agents <n>', `agents per tenant (default ${defaults.agentsPerTenant ?? 1})`).argParser(wholeNumber(1, 10_000)));
    }
    if (defaults.durationMs !== undefined) command.addOption(new Option('--duration <time>', `load time, e.g. 60s or 2m (default ${defaults.durationMs / 1000}s)`).argParser(parseDuration));
    return command;
  }

  /** The flags that choose the control plane (and where the report goes), checked before anything starts. */
  function connectOptions(options: CommonOptions): ConnectOptions {
    checkJsonTarget(options.json);
    const chosen = { controlPlane: options.controlPlane, ca: options.ca, operator: options.operator, passwordEnv: options.passwordEnv, totpSecretEnv: options.totpSecretEnv };
    checkConnectOptions(chosen);
    return chosen;
  }

  function seedOf(options: CommonOptions): number {
    if (options.seed !== undefined) return options.seed;
    const seed = randomInt(0, 2 ** 31 - 1);
    io.stderr.write(`simulate: seed ${seed} (pass --seed ${seed} to run the same fleet again)\n`);
    return seed;
  }

  const output = (options: CommonOptions) => ({ json: options.json, stdout: io.stdout, stderr: io.stderr });

  program
    .command('probe')
    .description('Check that a control plane answers (health and readiness) over HTTPS, trusting only its CA.')
    .requiredOption('--url <url>', 'control plane URL, e.g. https://127.0.0.1:8443')
    .requiredOption('--ca <file>', "the control plane's CA certificate, e.g. <data>/tls/ca.crt")
    .action(async (options: { url: string; ca: string }) => {
      const result = await probeControlPlane(options.url, readFileSync(options.ca, 'utf8'));
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      const ok = !('error' in result.healthz) && result.healthz.status === 200 && !('error' in result.readyz) && result.readyz.status === 200;
      exit.code = ok ? 0 : 1;
    });

  scenarioCommand('noisy-neighbor', 'Quiet tenants at a steady share of their rate beside one tenant at N times its rate; solo and together windows alternate. Per tenant: offered, admitted, shed, p50/p99, lost (must be 0).', noisyNeighborDefaults)
    .addOption(new Option('--noisy-factor <n>', `the noisy tenant offers n times its rate (default ${noisyNeighborDefaults.noisyFactor})`).argParser(decimal(1, 1000)))
    .addOption(new Option('--honour-retry-after <bool>', 'false: the noisy agents ignore Retry-After (a hostile neighbour)').argParser(parseBoolean))
    .addOption(new Option('--rate <units/s>', `every tenant's ingest rate (default ${noisyNeighborDefaults.ratePerSec})`).argParser(wholeNumber(10, 1_000_000)))
    .addOption(new Option('--rounds <n>', `pairs of solo/together windows (default ${noisyNeighborDefaults.rounds})`).argParser(wholeNumber(1, 100)))
    .action(async (options: CommonOptions & { noisyFactor?: number; honourRetryAfter?: boolean; rate?: number; rounds?: number }) => {
      const target = connectOptions(options);
      const chosen = {
        tenants: options.tenants ?? noisyNeighborDefaults.tenants,
        agentsPerTenant: options.agents ?? noisyNeighborDefaults.agentsPerTenant,
        durationMs: options.duration ?? noisyNeighborDefaults.durationMs,
        rounds: options.rounds ?? noisyNeighborDefaults.rounds,
        noisyFactor: options.noisyFactor ?? noisyNeighborDefaults.noisyFactor,
        honourRetryAfter: options.honourRetryAfter ?? noisyNeighborDefaults.honourRetryAfter,
        ratePerSec: options.rate ?? noisyNeighborDefaults.ratePerSec,
        quietShare: noisyNeighborDefaults.quietShare,
        keepTenants: options.keepTenants,
      };
      checkNoisyNeighborOptions(chosen);
      exit.code = await runFromCli(target, { scenario: 'noisy-neighbor', options: { ...chosen, seed: seedOf(options) } }, output(options));
    });

  /** A scenario whose size is its fleet: tenants and agents per tenant. */
  function fleetScenario(name: 'scim-sync' | 'break-glass-drill', description: string, defaults: { tenants: number; agentsPerTenant: number }, check: (options: { tenants: number }) => void = () => undefined): void {
    scenarioCommand(name, description, defaults).action(async (options: CommonOptions) => {
      const target = connectOptions(options);
      const sizes = { tenants: options.tenants ?? defaults.tenants, agentsPerTenant: options.agents ?? defaults.agentsPerTenant };
      check(sizes);
      const fleet = { ...sizes, seed: seedOf(options), keepTenants: options.keepTenants };
      exit.code = await runFromCli(target, { scenario: name, options: fleet }, output(options));
    });
  }

  fleetScenario('scim-sync', "Each tenant's IdP adds, changes and deactivates people and groups over SCIM; reports the role changes people see and that a deactivated person's session ends on its next request.", scimSyncDefaults);
  fleetScenario(
    'break-glass-drill',
    'An operator asks for access, a person of the tenant (signed in through its IdP) approves, the operator activates and reads once, the tenant revokes, the next read is refused; then with two approvers. Both ledgers must show every step and verify.',
    breakGlassDrillDefaults,
    checkBreakGlassDrillOptions,
  );

  scenarioCommand('isolation-probe', "Every tenant's credentials (admin token, people by role, SCIM, agent, a break-glass grant) try every other tenant's ids on every route of the control plane's OpenAPI document; operators try the tenant plane without a grant and run provider-action chains. Reports attempts by route and leaks (must be 0). Loopback control planes only.", isolationProbeDefaults)
    .option('--evidence <file>', 'write a signed isolation evidence report (JSON, Ed25519) to <file>')
    .option('--signing-key <pem>', 'with --evidence: the Ed25519 private key (PKCS#8 PEM) to sign with (default: a key made for the run; its public key is printed and written beside the report)')
    .action(async (options: CommonOptions & { evidence?: string; signingKey?: string }) => {
      checkLoopback(options.controlPlane);
      const target = connectOptions(options);
      const sizes = { tenants: options.tenants ?? isolationProbeDefaults.tenants, agentsPerTenant: options.agents ?? isolationProbeDefaults.agentsPerTenant };
      checkIsolationProbeOptions(sizes);
      const evidence = checkEvidenceOptions(options.evidence, options.signingKey);
      const request = { scenario: 'isolation-probe' as const, options: { ...sizes, seed: seedOf(options), keepTenants: options.keepTenants } };
      exit.code = await runFromCli(target, request, output(options), (result, out) => {
        if (evidence !== null) writeEvidence(evidence, result.details.evidence as Record<string, unknown>, out);
      });
    });

  program
    .command('verify-evidence')
    .description('Check an isolation evidence report: signed by the given public key, and unchanged since. Exit 0 valid, 1 invalid (one line saying why), 2 bad usage.')
    .argument('<file>', 'the evidence report (JSON)')
    .requiredOption('--public-key <pem>', "the signer's Ed25519 public key (PEM), e.g. the .pub.pem written beside the report")
    .action((file: string, options: { publicKey: string }) => {
      exit.code = verifyEvidenceFile(file, options.publicKey, io);
    });

  scenarioCommand('demo', "The sales demo, on one control plane: noisy-neighbor (tenants of every isolation model; the noisy one shed, its neighbours fast), isolation-probe (0 leaks) and break-glass-drill, one after the other, then a summary. --duration is the noisy neighbour's load time.", { durationMs: demoDefaults.durationMs })
    .action(async (options: CommonOptions) => {
      checkLoopback(options.controlPlane);
      const target = connectOptions(options);
      const chosen = { durationMs: options.duration ?? demoDefaults.durationMs };
      checkDemoOptions(chosen);
      exit.code = await runFromCli(target, { scenario: 'demo', options: { ...chosen, seed: seedOf(options), keepTenants: options.keepTenants } }, output(options));
    });

  return program;
}

/**
 * Runs the CLI on `argv` (as process.argv) and answers its exit code: 0 every invariant holds, 1 one
 * failed, 2 bad usage (one line, nothing started), 3 the control plane could not be reached or set up.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const exit = { code: ExitCode.ok as number };
  try {
    await buildProgram(io, exit).parseAsync(argv);
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help prints and ends with 0; every other parse error is one line and exit 2.
      if (error.exitCode === 0) return ExitCode.ok;
      io.stderr.write(`simulate: ${error.message.replace(/^error:\s*/, '')} (see --help)\n`);
      return ExitCode.usage;
    }
    io.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof SimulatorError ? error.exitCode : ExitCode.setupFailed;
  }
}
