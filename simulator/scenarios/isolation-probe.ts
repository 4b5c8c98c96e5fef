import { AgentGroup } from '../agents/agent-group';
import type { Connection } from '../connection/connect';
import { UsageError } from '../errors';
import { buildFleet } from '../fleet/fleet';
import { planFleet, type PlannedTenant } from '../fleet/plan';
import { setUpTenant, type FleetTenant } from '../fleet/tenant-setup';
import { planAttacks, tenantCredentialKinds, type Attacker, type VictimShape } from '../isolation/attack-plan';
import { ledgerHeads, type LedgerHeads } from '../isolation/ledger-heads';
import { peopleSessions, openRequests, probeOperators, type TenantRequests } from '../isolation/probe-setup';
import { afterHandoverChain, heldTenantChain, type ChainReport } from '../isolation/provider-chains';
import { evidenceDocument, kindStats, routeStats } from '../isolation/probe-report';
import { fetchRouteCatalog } from '../isolation/route-catalog';
import { runAttempts } from '../isolation/run-attempts';
import { harvestTenantIds, type TenantIds } from '../isolation/tenant-ids';
import type { RunLog } from '../run-log';
import { invariant, scenarioResult, type Invariant, type ScenarioResult } from './result';

export interface IsolationProbeOptions {
  seed: number;
  /** Tenants that attack each other (at least 2); one more is set up and held by the provider. */
  tenants: number;
  agentsPerTenant: number;
  /** Identifiers of each kind tried per victim, slot and attacker (default 1). */
  picksPerKind?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  keepTenants?: boolean;
}

export const isolationProbeDefaults = { tenants: 3, agentsPerTenant: 2, picksPerKind: 1, concurrency: 8 };

/**
 * The probe's tenants send thousands of requests a minute, far past any real tenant's budget: their
 * query budget and API rate limit are raised so every attempt gets an answer rather than a 429.
 */
const probeTenantOptions = { fairness: { query_budget: 1_000_000 }, quotas: { api_rate_limit_rpm: 10_000_000 } };

const PEOPLE = 3;
const TESTS = 3;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function checkIsolationProbeOptions(options: Pick<IsolationProbeOptions, 'tenants'>): void {
  if (options.tenants < 2) throw new UsageError('--tenants: isolation-probe needs at least 2 tenants (each attacks the others)');
}

/** Loopback only: the probe sends thousands of hostile requests, and is meant for a control plane on this machine. */
export function checkLoopback(url: string | undefined): void {
  if (url === undefined) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new UsageError(`--control-plane ${url}: isolation-probe runs against loopback control planes only (127.0.0.1, ::1, localhost): it sends thousands of hostile requests`);
  }
}

/** The victims' shapes from the plan: how many identifiers of each kind a tenant has. */
function victimShape(tenant: PlannedTenant, handedOver: boolean): VictimShape {
  return {
    slug: tenant.slug,
    counts: {
      tenant: 2,
      test: tenant.tests.length,
      agent: tenant.agents.length,
      pool: 1,
      'scim-token': 1,
      recovery: handedOver ? 1 : 0,
      'break-glass': handedOver ? 2 : 0,
      'scim-user': tenant.people.length,
      'scim-group': tenant.groups.length,
      'user-filter': tenant.people.length,
      'group-filter': tenant.groups.length,
      cursor: 1,
    },
  };
}

/** The tenants' agents report for a moment, so there is telemetry to leak (and cursors to steal). */
async function reportTelemetry(connection: Connection, tenants: readonly FleetTenant[], seed: number): Promise<void> {
  const specs = tenants.flatMap((tenant) => tenant.agents.map((agent) => ({ tenant: tenant.plan.slug, name: agent.name, token: agent.token, testIds: tenant.testIds, batch: { results: 5, flows: 2 }, behaviour: { batchesPerSec: 4, honourRetryAfter: true } })));
  const agents = new AgentGroup(connection.client.target, specs, seed);
  agents.setMode('generating');
  await sleep(1_000);
  agents.setMode('idle');
  await agents.drain(30_000);
  await agents.stop();
}

/**
 * The isolation probe: every tenant's credentials try every other tenant's identifiers on every
 * route the control plane's OpenAPI document lists; operators try the tenant plane without a grant;
 * operators run chains of provider actions and read after each. Reports attempts by route and by
 * credential kind, and leaks, which must be 0; `details.evidence` is the (unsigned) evidence report.
 */
export async function runIsolationProbe(connection: Connection, options: IsolationProbeOptions, log: RunLog): Promise<ScenarioResult> {
  checkIsolationProbeOptions(options);
  checkLoopback(connection.kind === 'remote' ? connection.client.target.url : undefined);
  const startedAt = new Date();
  const { client } = connection;
  const catalog = await fetchRouteCatalog(client);
  log.event(`OpenAPI document read: ${catalog.routes.length} routes, version ${catalog.version}`);
  const planned = planFleet(options.seed, { tenants: options.tenants + 1, agentsPerTenant: options.agentsPerTenant, peoplePerTenant: PEOPLE, testsPerTenant: TESTS });
  const heldPlan = planned.tenants[options.tenants];
  const plan = { ...planned, tenants: planned.tenants.slice(0, options.tenants) };
  // Telemetry reads spend the tenant's query budget: the probe reads a lot, on purpose.
  const fleet = await buildFleet(connection, plan, log, { keepTenants: options.keepTenants, tenantOptions: () => probeTenantOptions });
  const tag = plan.tenants[0]?.slug.split('-').at(-1) ?? 'probe';
  const operators = await probeOperators(connection, tag, log);
  let held: FleetTenant | null = null;
  try {
    if (heldPlan !== undefined && fleet.handover) {
      log.step(`setting up ${heldPlan.slug} (${heldPlan.isolationModel}), held by the provider: never handed over`);
      held = await setUpTenant({ client, operatorToken: fleet.operatorToken, log, handover: false }, heldPlan, probeTenantOptions);
    }
    log.step('agents report telemetry for a second');
    await reportTelemetry(connection, held === null ? fleet.tenants : [...fleet.tenants, held], options.seed);
    log.event('agents reported telemetry');

    const requester = operators[operators.length - 1] ?? { label: 'operator:provider_admin' as const, token: fleet.operatorToken };
    const sessions = new Map<string, Map<'admin' | 'operator' | 'viewer', string>>();
    const requests = new Map<string, TenantRequests>();
    const ids = new Map<string, TenantIds>();
    for (const tenant of fleet.tenants) {
      const slug = tenant.plan.slug;
      log.step(`${slug}: people sign in, break-glass and recovery requests opened, its identifiers read`);
      const people = await peopleSessions(client, tenant);
      sessions.set(slug, people);
      const admin = people.get('admin');
      if (admin === undefined) throw new Error(`${slug} has no admin person`);
      if (tenant.handedOver) requests.set(slug, await openRequests(client, tenant, requester.token, admin));
      const made = requests.get(slug);
      ids.set(slug, await harvestTenantIds(client, tenant, { breakGlass: made === undefined ? [] : [made.pending, made.active], recoveries: made?.recovery == null ? [] : [made.recovery], adminSession: admin }, catalog.routes));
      log.event(`${slug} people signed in (${[...people.keys()].join(', ')})${made === undefined ? '' : ', a grant approved, a request pending, a recovery waiting'}`);
    }

    // The attackers: each tenant's credentials by kind, and the operators.
    const tokens = new Map<string, string>();
    const own = new Map<string, TenantIds>();
    const attackers: Attacker[] = [];
    for (const tenant of fleet.tenants) {
      const slug = tenant.plan.slug;
      const people = sessions.get(slug);
      const byKind: Partial<Record<Attacker['kind'], string | undefined>> = {
        'tenant-admin': tenant.adminToken,
        'person:admin': people?.get('admin'),
        'person:operator': people?.get('operator'),
        'person:viewer': people?.get('viewer'),
        scim: tenant.scimToken,
        agent: tenant.agents[0]?.token,
        grant: requests.get(slug)?.grant,
      };
      for (const kind of tenantCredentialKinds) {
        const token = byKind[kind];
        if (token === undefined) continue;
        const label = `${slug}/${kind}`;
        attackers.push({ label, tenant: slug, kind });
        tokens.set(label, token);
        const ownIds = ids.get(slug);
        if (ownIds !== undefined) own.set(label, ownIds);
      }
    }
    for (const operator of operators) {
      attackers.push({ label: operator.label, tenant: null, kind: operator.label });
      tokens.set(operator.label, operator.token);
    }

    const before = await ledgerHeads(client, fleet.operatorToken, fleet.tenants.map((tenant) => ({ slug: tenant.plan.slug, adminToken: tenant.adminToken })));
    const attackPlan = planAttacks(catalog.routes, attackers, plan.tenants.map((tenant) => victimShape(tenant, fleet.handover)), options.seed, { picksPerKind: options.picksPerKind ?? isolationProbeDefaults.picksPerKind });
    log.event(`attack plan ${attackPlan.sha256.slice(0, 16)}: ${attackPlan.attempts.length} attempts, ${attackers.length} attackers, ${catalog.routes.length} routes`);
    log.step(`${attackPlan.attempts.length.toLocaleString('en-US')} cross-tenant attempts over ${catalog.routes.length} routes, ${attackers.length} attackers`);
    const attemptsStarted = Date.now();
    const run = await runAttempts(attackPlan, {
      client,
      routes: new Map(catalog.routes.map((route) => [route.key, route])),
      tokens,
      own,
      victims: ids,
      seed: options.seed,
      concurrency: options.concurrency ?? isolationProbeDefaults.concurrency,
      onProgress: (done, total, leaks) => log.progress({ kind: 'attempts', done, total, leaks }),
    });
    const attemptsMs = Date.now() - attemptsStarted;

    log.step('provider-action chains: the provider does what it may, tries what it may not, and reads after each step');
    const chains: ChainReport[] = [];
    const chainContext = { client, routes: catalog.routes, operators: new Map(operators.map((operator) => [operator.label, operator.token])), requester: { label: requester.label, token: requester.token } };
    if (held !== null) chains.push(await heldTenantChain(chainContext, held));
    for (const tenant of fleet.tenants) {
      if (!tenant.handedOver) continue;
      const made = requests.get(tenant.plan.slug);
      chains.push(await afterHandoverChain(chainContext, tenant, { pendingBreakGlass: made?.pending ?? null, recovery: made?.recovery ?? null, pool: ids.get(tenant.plan.slug)?.values.pool?.[0] ?? null }));
    }
    log.event(`provider-action chains: ${chains.map((chain) => `${chain.name} on ${chain.tenant} (${chain.steps.length} steps)`).join('; ')}`);

    // The tenants cancel the recoveries the probe opened.
    for (const tenant of fleet.tenants) {
      const recovery = requests.get(tenant.plan.slug)?.recovery;
      if (recovery != null) await client.call('POST', `/v1/recoveries/${recovery}/cancel`, { token: tenant.adminToken, body: { reason: 'isolation probe done' } });
    }
    const after = await ledgerHeads(client, fleet.operatorToken, fleet.tenants.map((tenant) => ({ slug: tenant.plan.slug, adminToken: tenant.adminToken })));

    return result({ connection, options, log, startedAt, catalog, fleetTenants: fleet.tenants, held, handover: fleet.handover, planSha256: attackPlan.sha256, run, chains, before, after, attemptsMs });
  } finally {
    for (const operator of operators) await operator.remove();
    if (held !== null) {
      await held.idp.close();
      if (connection.kind === 'remote' && options.keepTenants !== true) await client.call('DELETE', `/provider/v1/tenants/${held.plan.slug}`, { token: fleet.operatorToken });
    }
    await fleet.close();
  }
}

interface ResultInput {
  connection: Connection;
  options: IsolationProbeOptions;
  log: RunLog;
  startedAt: Date;
  catalog: Awaited<ReturnType<typeof fetchRouteCatalog>>;
  fleetTenants: FleetTenant[];
  held: FleetTenant | null;
  handover: boolean;
  planSha256: string;
  run: Awaited<ReturnType<typeof runAttempts>>;
  chains: ChainReport[];
  before: LedgerHeads;
  after: LedgerHeads;
  attemptsMs: number;
}

function ledgerInvariants(before: LedgerHeads, after: LedgerHeads): Invariant[] {
  const headText = (head: LedgerHeads['provider']) => `${head.ok ? 'verifies' : `does not verify: ${head.problem ?? ''}`}, size ${head.size ?? '?'}`;
  const invariants = [invariant('the provider ledger verifies, before and after', before.provider.ok && after.provider.ok, `before ${headText(before.provider)}; after ${headText(after.provider)}`)];
  for (const slug of Object.keys(after.tenants)) {
    const was = before.tenants[slug];
    const now = after.tenants[slug];
    invariants.push(invariant(`${slug}'s ledger verifies, before and after`, was?.ok === true && now?.ok === true, `before ${was === undefined ? 'not read' : headText(was)}; after ${now === undefined ? 'not read' : headText(now)}`));
  }
  return invariants;
}

function result(input: ResultInput): ScenarioResult {
  const { run, chains, catalog } = input;
  const outcomes = run.outcomes;
  const routes = routeStats(catalog, outcomes, chains);
  const kinds = kindStats(outcomes, chains);
  const leaks = outcomes.filter((outcome) => outcome.verdict === 'leak');
  const operatorLeaks = leaks.filter((outcome) => outcome.class === 'operator-without-grant');
  const crossLeaks = leaks.filter((outcome) => outcome.class === 'cross-tenant');
  const chainSteps = chains.flatMap((chain) => chain.steps);
  const chainLeaks = chainSteps.filter((step) => step.leak);
  const counted = outcomes.filter((outcome) => outcome.verdict !== 'skipped');
  const crossCount = counted.filter((outcome) => outcome.class === 'cross-tenant').length;
  const operatorCount = counted.length - crossCount;
  const inconclusive = counted.filter((outcome) => outcome.verdict === 'inconclusive');
  const skipped = outcomes.length - counted.length;
  const flaky = counted.filter((outcome) => outcome.flaky === true).length;
  const unattempted = routes.filter((route) => route.attempts === 0).map((route) => route.route);
  const unexpectedRefusals = chainSteps.filter((step) => step.expected === 'allowed' && !(step.status >= 200 && step.status < 300));
  const total = counted.length + chainSteps.length;

  const invariants: Invariant[] = [
    invariant('cross-tenant attempts: leaks = 0', crossLeaks.length === 0, `${crossLeaks.length} leaks in ${crossCount.toLocaleString('en-US')} attempts`),
    invariant('operators without a grant read nothing on the tenant plane: leaks = 0', operatorLeaks.length === 0, `${operatorLeaks.length} leaks in ${operatorCount.toLocaleString('en-US')} attempts`),
    invariant('provider-action chains: nothing that must be refused got through', chainLeaks.length === 0, `${chainLeaks.length} of ${chainSteps.filter((step) => step.expected === 'refused').length} steps that must be refused got through`),
    invariant('every route of the served OpenAPI document was attempted', unattempted.length === 0, unattempted.length === 0 ? `${routes.length} of ${routes.length} routes` : `not attempted: ${unattempted.join(', ')}`),
    invariant('every attempt concluded (no 429 or 5xx left standing)', inconclusive.length === 0, inconclusive.length === 0 ? `${counted.length.toLocaleString('en-US')} attempts` : `${inconclusive.length} inconclusive, e.g. ${inconclusive[0]?.route ?? ''}: ${inconclusive[0]?.reason ?? ''}`),
    ...ledgerInvariants(input.before, input.after),
  ];
  const seconds = input.attemptsMs / 1000;
  const models = input.fleetTenants.map((tenant) => `${tenant.plan.slug} (${tenant.plan.isolationModel})`).join(', ');
  const notes = [
    `${total.toLocaleString('en-US')} attempts (${crossCount.toLocaleString('en-US')} cross-tenant, ${operatorCount.toLocaleString('en-US')} by operators without a grant, ${chainSteps.length} in provider-action chains) over ${routes.length} routes of the served OpenAPI document (control plane ${catalog.version}); the cross-tenant and operator attempts took ${seconds.toFixed(1)} s (${Math.round(counted.length / Math.max(seconds, 0.001)).toLocaleString('en-US')}/s). Tenants: ${models}${input.held === null ? '' : `; ${input.held.plan.slug} (${input.held.plan.isolationModel}) held by the provider`}.`,
    `By credential: ${Object.entries(kinds).map(([kind, entry]) => `${kind} ${entry.attempts.toLocaleString('en-US')}${entry.leaks > 0 ? ` (${entry.leaks} leaks)` : ''}`).join(', ')}.`,
    `Leaks: ${leaks.length + chainLeaks.length}.${leaks.slice(0, 5).map((leak) => ` ${leak.attacker} → ${leak.victim}: ${leak.request ?? leak.route}: ${leak.reason}.`).join('')}${chainLeaks.slice(0, 5).map((step) => ` chain step "${step.action}" (${step.route}) answered ${step.status}.`).join('')}`,
    ...run.disclosures.map((disclosure) => `Without a credential: ${disclosure.route} ${disclosure.what}.`),
    `${routes.reduce((sum, route) => sum + route.stopped_at_validation, 0).toLocaleString('en-US')} attempts were refused at validation (400 invalid_request: e.g. a \`?tenant=\` selector on a route whose query takes none, or a write with an empty body), before any tenant check; the rest reached the routes' credential and tenant checks.`,
    ...(flaky > 0 ? [`${flaky} attempts answered differently from their baseline once and alike on a second try; the second answer counts.`] : []),
    ...(skipped > 0 ? [`${skipped} planned attempts had no identifier to carry (e.g. a list too short to give a cursor) and were not sent.`] : []),
    ...(unexpectedRefusals.length > 0 ? [`Provider actions refused although the provider may do them: ${unexpectedRefusals.map((step) => `${step.action} (${step.status} ${step.code})`).join(', ')}.`] : []),
    ...(input.handover ? [] : ['This control plane has no tenant handover: grants, recoveries and the provider-action chains were not tried.']),
    'Ledger heads: current heads (size and Merkle root) before and after, each verified; the control plane signs no heads yet.',
  ];
  const run_ = { scenario: 'isolation-probe', seed: input.options.seed, target: { url: input.connection.client.target.url, kind: input.connection.kind }, handover: input.handover, startedAt: input.startedAt, events: input.log.events };
  const evidence = evidenceDocument({
    generatedAt: new Date(),
    seed: input.options.seed,
    planSha256: input.planSha256,
    durationMs: Date.now() - input.startedAt.getTime(),
    control: { url: input.connection.client.target.url, kind: input.connection.kind },
    catalog,
    tenants: input.fleetTenants.map((tenant) => ({ slug: tenant.plan.slug, isolation_model: tenant.plan.isolationModel, handed_over: tenant.handedOver })),
    heldTenant: input.held?.plan.slug ?? null,
    routes,
    kinds,
    leaks,
    chains,
    disclosures: run.disclosures,
    before: input.before,
    after: input.after,
    invariants,
  });
  const chainRows = chains.map((chain) => [`chain: ${chain.name}, ${chain.tenant}`, 'operator', chain.steps.length, chain.steps.filter((step) => !step.leak && !(step.status >= 200 && step.status < 300)).length, chain.steps.filter((step) => !step.leak && step.status >= 200 && step.status < 300).length, chain.steps.filter((step) => step.leak).length]);
  return scenarioResult(run_, {
    table: {
      title: `isolation-probe: ${input.fleetTenants.length} tenants attack each other on every route; operators without a grant; provider-action chains`,
      columns: ['route', 'credential', 'attempts', 'refused', 'answered', 'leaks'],
      rows: [...routes.map((route) => [route.route, route.credential, route.attempts, route.refused + route.inconclusive, route.answered, route.leaks]), ...chainRows],
    },
    notes,
    invariants,
    details: {
      plan_sha256: input.planSha256,
      attempts: { total, cross_tenant: crossCount, operator_without_grant: operatorCount, chain_steps: chainSteps.length, skipped, flaky, seconds },
      routes,
      by_credential_kind: kinds,
      leaks,
      inconclusive,
      chains,
      public_disclosures: run.disclosures,
      ledgers: { before: input.before, after: input.after },
      evidence,
    },
  });
}
