import type { Connection } from '../connection/connect';
import { UsageError } from '../errors';
import { RunLog } from '../run-log';
import { breakGlassDrillDefaults, runBreakGlassDrill } from './break-glass-drill';
import { isolationProbeDefaults, runIsolationProbe } from './isolation-probe';
import { noisyNeighborDefaults, runNoisyNeighbor, type NoisyTenantRow } from './noisy-neighbor';
import { invariant, scenarioResult, type ScenarioResult } from './result';

export interface DemoOptions {
  seed: number;
  /** noisy-neighbor's load time (its windows); the other parts take as long as they take. */
  durationMs: number;
  /** Tenants in noisy-neighbor and isolation-probe (the drill takes 2); a library option, for small runs. */
  tenants?: number;
  keepTenants?: boolean;
}

export const demoDefaults = { durationMs: 6_000, tenants: 3 };

/** The noisy neighbour's rounds for a load time: one pair of windows, more when there is time for them. */
const roundsFor = (durationMs: number) => Math.max(1, Math.min(3, Math.floor(durationMs / 8_000)));

export function checkDemoOptions(options: Pick<DemoOptions, 'durationMs' | 'tenants'>): void {
  if (options.durationMs < 2_000) throw new UsageError('--duration: the demo needs at least 2s of load for its noisy neighbour');
  if (options.tenants !== undefined && options.tenants < 2) throw new UsageError('the demo needs at least 2 tenants');
}

/** Each part's own seed, from the demo's (so its tenants' slugs differ from the other parts'). */
const partSeed = (seed: number, part: number) => (seed + part) % 2 ** 31;

const number = (value: number) => value.toLocaleString('en-US');

/** The line the summary shows for noisy-neighbor. */
function noisyHeadline(result: ScenarioResult): string {
  const rows = (result.details.tenants ?? []) as NoisyTenantRow[];
  const noisy = rows.find((row) => row.role === 'noisy');
  const quiet = rows.filter((row) => row.role === 'quiet');
  const lost = rows.reduce((sum, row) => sum + row.lost_units, 0);
  const ratios = quiet.map((row) => row.p99_ratio).filter((value): value is number => value !== null);
  const shedQuiet = quiet.reduce((sum, row) => sum + row.shed_units, 0);
  return `${noisy?.tenant ?? '?'} shed ${number(noisy?.shed_units ?? 0)} units; quiet tenants shed ${number(shedQuiet)}, p99 beside/alone ${ratios.length === 0 ? '–' : `${Math.min(...ratios)}–${Math.max(...ratios)}×`}; lost ${number(lost)}`;
}

function probeHeadline(result: ScenarioResult): string {
  const attempts = result.details.attempts as { total?: number } | undefined;
  const leaks = ((result.details.leaks as unknown[] | undefined) ?? []).length + ((result.details.chains as { steps: { leak: boolean }[] }[] | undefined) ?? []).flatMap((chain) => chain.steps).filter((step) => step.leak).length;
  return `${number(attempts?.total ?? 0)} attempts on ${((result.details.routes as unknown[] | undefined) ?? []).length} routes, ${leaks} leaks`;
}

function drillHeadline(result: ScenarioResult): string {
  const drills = (result.details.drills ?? []) as { variant: string; grant_read: { status: number }; read_after_revoke: { status: number } }[];
  const ledgers = result.invariants.filter((entry) => entry.name.includes('ledger verifies'));
  return `${drills.map((drill) => `${drill.variant}: read ${drill.grant_read.status}, after revoke ${drill.read_after_revoke.status}`).join('; ')}; ledgers ${ledgers.every((entry) => entry.ok) ? 'verify' : 'DO NOT verify'}`;
}

/** The isolation models a part's tenants had, as its report names them. */
const modelsOf = (result: ScenarioResult): string => {
  const text = `${result.table.title}\n${JSON.stringify(result.details)}`;
  const models = [...text.matchAll(/"isolation_model":"(\w+)"|\((pooled|siloed|hybrid)\)/g)].map((match) => match[1] ?? match[2] ?? '');
  return [...new Set(models)].sort().join(', ');
};

/**
 * The sales engineer's one command, on one control plane: tenants of every isolation model, a noisy
 * neighbour shed while its neighbours stay fast, an isolation probe with 0 leaks, and a break-glass
 * drill, one after the other (each with a seed of its own from the demo's), then a summary.
 */
export async function runDemo(connection: Connection, options: DemoOptions, log: RunLog): Promise<ScenarioResult> {
  checkDemoOptions(options);
  const startedAt = new Date();
  const parts: { name: string; result: ScenarioResult; headline: string }[] = [];
  const events: string[] = [];
  const part = async (index: number, name: string, run: (partLog: RunLog) => Promise<ScenarioResult>, headline: (result: ScenarioResult) => string) => {
    log.step(`demo ${index}/3: ${name}`);
    const partLog = new RunLog((event) => log.progress(event));
    const result = await run(partLog);
    events.push(...partLog.events.map((event) => `${name}: ${event}`));
    parts.push({ name, result, headline: headline(result) });
  };
  const keep = { keepTenants: options.keepTenants };
  const tenants = options.tenants ?? demoDefaults.tenants;
  await part(1, 'noisy-neighbor', (partLog) => runNoisyNeighbor(connection, { ...noisyNeighborDefaults, tenants, agentsPerTenant: 2, durationMs: options.durationMs, rounds: roundsFor(options.durationMs), seed: partSeed(options.seed, 0), ...keep }, partLog), noisyHeadline);
  await part(2, 'isolation-probe', (partLog) => runIsolationProbe(connection, { ...isolationProbeDefaults, tenants, seed: partSeed(options.seed, 1), ...keep }, partLog), probeHeadline);
  await part(3, 'break-glass-drill', (partLog) => runBreakGlassDrill(connection, { ...breakGlassDrillDefaults, seed: partSeed(options.seed, 2), ...keep }, partLog), drillHeadline);

  const invariants = parts.flatMap(({ name, result }) => result.invariants.map((entry) => invariant(`${name}: ${entry.name}`, entry.ok, entry.detail)));
  const run = { scenario: 'demo', seed: options.seed, target: { url: connection.client.target.url, kind: connection.kind }, handover: parts.every(({ result }) => result.handover), startedAt, events };
  const result = scenarioResult(run, {
    table: {
      title: 'demo: fairness, isolation and break-glass on one control plane',
      columns: ['part', 'models', 'what happened', 'invariants'],
      rows: parts.map(({ name, result: partResult, headline }) => [name, modelsOf(partResult), headline, `${partResult.invariants.filter((entry) => entry.ok).length} of ${partResult.invariants.length} hold`]),
    },
    notes: [`Each part ran with a seed of its own (${options.seed}, +1, +2); each part's table is above, in --json under parts.`],
    invariants,
    details: {},
  });
  return { ...result, parts: parts.map(({ result: partResult }) => partResult) };
}
