import { randomBytes } from 'node:crypto';
import { AgentGroup } from '../agents/agent-group';
import type { Answer, ApiClient } from '../connection/api-client';
import type { Connection } from '../connection/connect';
import { enrollOperator } from '../connection/operator-session';
import { UsageError } from '../errors';
import { buildFleet } from '../fleet/fleet';
import { planFleet } from '../fleet/plan';
import type { FleetTenant } from '../fleet/tenant-setup';
import { signInThroughIdp } from '../idp/browser';
import type { RunLog } from '../run-log';
import { invariant, scenarioResult, type Invariant, type ScenarioResult } from './result';

export interface BreakGlassDrillOptions {
  seed: number;
  /** The drill's tenant and at least one other (whose ledger must show none of it). */
  tenants: number;
  agentsPerTenant: number;
  keepTenants?: boolean;
}

export const breakGlassDrillDefaults = { tenants: 2, agentsPerTenant: 2 };

const TELEMETRY_READS = ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary'];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const codeOf = (answer: Answer) => (answer.json.error as { code?: string } | undefined)?.code ?? '';

/** One drill's story, as the report shows it. */
export interface DrillReport {
  variant: 'one approver' | 'two approvers';
  request_id: string;
  approvers: string[];
  /** Before the last approval: still pending (two approvers), or approved at once. */
  state_after_first_approval: string;
  /** The same person approving twice (two approvers only). */
  repeat_approval: string | null;
  /** Rows the grant read, and how many of them were of the tenant's own tests (must be all). */
  grant_read: { status: number; rows: number; own_rows: number };
  read_after_revoke: { status: number; code: string };
  provider_ledger: string[];
  tenant_ledger: string[];
  other_tenant_ledger: string[];
}

async function ledgerEventsOf(client: ApiClient, path: string, token: string, requestId: string): Promise<string[]> {
  const page = await client.expect(`reading the ledger ${path.split('?')[0] ?? path}`, 200, 'GET', path, { token });
  return ((page.items as { event_type: string; details: { request_id?: string } }[] | undefined) ?? [])
    .filter((entry) => entry.details.request_id === requestId)
    .map((entry) => entry.event_type)
    .reverse();
}

/** The on-call operator who asks for access: a provider_operator made for the drill (or the run's operator if it may not make one). */
async function onCallOperator(connection: Connection, adminToken: string, tag: string): Promise<{ token: string; username: string; remove: () => Promise<void> }> {
  const { client } = connection;
  const username = `oncall-${tag}`;
  const password = randomBytes(18).toString('base64url');
  const created = await client.call('POST', '/provider/v1/operators', { token: adminToken, body: { username, roles: ['provider_operator'], password } });
  if (created.status !== 201) return { token: adminToken, username: connection.operator.username, remove: () => Promise.resolve() };
  const id = String((created.json.operator as { id?: string } | undefined)?.id);
  // Its first sign-in enrolls its own authenticator, as a new operator does at the console.
  const { token } = await enrollOperator(client, username, password);
  return { token, username, remove: async () => {
      await client.call('DELETE', `/provider/v1/operators/${id}`, { token: adminToken });
    },
  };
}

/**
 * Break-glass as an MSP and its customer live it: an on-call operator asks for access, a person of
 * the tenant (signed in through the tenant's own IdP) approves in the tenant plane, the operator
 * activates and reads once, the tenant revokes, and the next read is refused; then again with two
 * approvers required. Both ledgers must show each step in order and verify, and the other tenant's
 * ledger none of it.
 */
/** Refuses options that cannot make a drill (a usage error, before anything starts). */
export function checkBreakGlassDrillOptions(options: Pick<BreakGlassDrillOptions, 'tenants'>): void {
  if (options.tenants < 2) throw new UsageError('--tenants: break-glass-drill needs at least 2 tenants (the drill\'s and another whose ledger must stay clean)');
}

export async function runBreakGlassDrill(connection: Connection, options: BreakGlassDrillOptions, log: RunLog): Promise<ScenarioResult> {
  checkBreakGlassDrillOptions(options);
  const startedAt = new Date();
  const plan = planFleet(options.seed, { tenants: options.tenants, agentsPerTenant: options.agentsPerTenant, peoplePerTenant: 3, testsPerTenant: 3 });
  const fleet = await buildFleet(connection, plan, log, { keepTenants: options.keepTenants });
  const { client } = connection;
  const [tenant, other] = fleet.tenants as [FleetTenant, FleetTenant];
  const slug = tenant.plan.slug;
  const oncall = await onCallOperator(connection, fleet.operatorToken, slug.split('-').at(-1) ?? 'sim');
  log.event(`operator ${oncall.username === connection.operator.username ? 'of the run' : 'oncall'} signed in to ask for access`);
  try {
    // Telemetry to read: the tenant's agents report for a moment.
    const agents = new AgentGroup(client.target, tenant.agents.map((agent) => ({ tenant: slug, name: agent.name, token: agent.token, testIds: tenant.testIds, batch: { results: 10, flows: 2 }, behaviour: { batchesPerSec: 4, honourRetryAfter: true } })), options.seed);
    agents.setMode('generating');
    await sleep(1_000);
    agents.setMode('idle');
    await agents.drain(30_000);
    await agents.stop();
    log.event(`${slug} agents reported telemetry`);

    const invariants: Invariant[] = [];
    if (tenant.handedOver) {
      // Handed over, the tenant is out of the provider's hands: no new tenant credential, no IdP change, the onboarding token spent.
      const mint = await client.call('POST', `/provider/v1/tenants/${slug}/admin-tokens`, { token: oncall.token, body: { expires_in_seconds: 3600 } });
      invariants.push(invariant('after handover the provider mints no tenant credential', mint.status === 409 && codeOf(mint) === 'tenant_handed_over', `${mint.status} ${codeOf(mint)}`));
      const idp = await client.call('PUT', `/provider/v1/tenants/${slug}/identity/oidc`, { token: fleet.operatorToken, body: { issuer: 'https://idp.operator.example', client_id: 'x', client_secret: 'y' } });
      invariants.push(invariant('after handover the provider cannot change the tenant\'s IdP', idp.status === 409 && codeOf(idp) === 'tenant_handed_over', `${idp.status} ${codeOf(idp)}`));
      const spent = await client.call('GET', '/v1/tenant', { token: tenant.onboardingToken });
      invariants.push(invariant('the onboarding token is spent', spent.status === 401, `${spent.status} ${codeOf(spent)}`));
    }
    for (const route of TELEMETRY_READS) {
      const refused = await client.call('GET', route, { token: oncall.token });
      invariants.push(invariant(`without a grant the operator reads nothing at ${route}`, refused.status === 403 && codeOf(refused) === 'no_implicit_access', `${refused.status} ${codeOf(refused)}`));
    }

    // The tenant's people who decide: its admin, and (for two approvers) a second admin the IdP makes.
    const directory = tenant.scim.directory;
    const adminGroup = tenant.plan.groups.find((group) => group.role === 'admin')?.name ?? '';
    const [firstPlanned, secondPlanned] = tenant.plan.people;
    if (firstPlanned === undefined || secondPlanned === undefined) throw new Error('the drill needs two people');
    const personSession = async (subject: string) => {
      const person = directory.get(subject);
      if (person === undefined) throw new Error(`${subject} missing`);
      return (await signInThroughIdp(client, slug, person, tenant.idp.caPem)).token;
    };
    const first = await personSession(firstPlanned.subject);
    log.event(`${slug} ${firstPlanned.subject} signed in through the IdP to decide`);

    const drill = async (variant: DrillReport['variant'], approvers: { subject: string; token: string }[]): Promise<DrillReport> => {
      log.step(`break-glass drill (${variant}) on ${slug}`);
      const opened = await client.expect('opening a break-glass request', 201, 'POST', '/provider/v1/break-glass', { token: oncall.token, body: { tenant: slug, reason: `Simulated incident: probe latency spike (${variant})`, scope: ['telemetry:read'], duration_minutes: 60 } });
      const id = String(opened.id);
      log.event(`${variant}: operator requested access`);
      const pending = await client.expect('listing pending requests', 200, 'GET', '/v1/break-glass?state=pending', { token: approvers[0]?.token ?? '' });
      if (!((pending.items as { id: string }[] | undefined) ?? []).some((item) => item.id === id)) throw new Error('the request is not pending in the tenant plane');
      let stateAfterFirst = '';
      let repeat: string | null = null;
      for (const [index, approver] of approvers.entries()) {
        const approved = await client.expect(`${approver.subject} approving`, 200, 'POST', `/v1/break-glass/${id}/approve`, { token: approver.token, body: { duration_minutes: 15, comment: 'for this incident only' } });
        log.event(`${variant}: ${approver.subject} approved (${String(approved.state)})`);
        if (index === 0) {
          stateAfterFirst = String(approved.state);
          if (approvers.length > 1) {
            const again = await client.call('POST', `/v1/break-glass/${id}/approve`, { token: approver.token, body: {} });
            repeat = `${again.status} ${codeOf(again)}`.trim();
          }
        }
      }
      const activated = await client.expect('activating the grant', 201, 'POST', `/provider/v1/break-glass/${id}/activate`, { token: oncall.token });
      const grant = String(activated.grant_token);
      const read = await client.call('GET', '/v1/telemetry/results?limit=50', { token: grant });
      const items = (read.json.items as { test_id: string }[] | undefined) ?? [];
      const ownRows = items.filter((item) => tenant.testIds.includes(item.test_id)).length;
      log.event(`${variant}: operator read once (${read.status})`);
      await client.expect('the tenant revoking the grant', 200, 'POST', `/v1/break-glass/${id}/revoke`, { token: approvers[0]?.token ?? '', body: { reason: 'incident resolved' } });
      const after = await client.call('GET', '/v1/telemetry/results?limit=50', { token: grant });
      log.event(`${variant}: tenant revoked; next read ${after.status}`);
      return {
        variant,
        request_id: id,
        approvers: approvers.map((approver) => approver.subject),
        state_after_first_approval: stateAfterFirst,
        repeat_approval: repeat,
        grant_read: { status: read.status, rows: items.length, own_rows: ownRows },
        read_after_revoke: { status: after.status, code: codeOf(after) },
        provider_ledger: await ledgerEventsOf(client, `/provider/v1/audit?tenant=${slug}&limit=1000`, fleet.operatorToken, id),
        tenant_ledger: await ledgerEventsOf(client, '/v1/audit?limit=1000', tenant.adminToken, id),
        other_tenant_ledger: await ledgerEventsOf(client, '/v1/audit?limit=1000', other.adminToken, id),
      };
    };

    const single = await drill('one approver', [{ subject: firstPlanned.subject, token: first }]);
    // Two approvers: the tenant asks for two, and its IdP makes a second person an admin.
    await client.expect('requiring two approvers', 200, 'PUT', '/v1/break-glass/settings', { token: first, body: { required_approvals: 2 } });
    await tenant.scim.changePerson(secondPlanned.subject, { groups: [adminGroup] });
    const second = await personSession(secondPlanned.subject);
    log.event(`${slug} requires two approvers; ${secondPlanned.subject} made an admin by the IdP`);
    const double = await drill('two approvers', [
      { subject: firstPlanned.subject, token: first },
      { subject: secondPlanned.subject, token: second },
    ]);

    const providerVerify = await client.expect('verifying the provider ledger', 200, 'GET', '/provider/v1/audit/verify', { token: fleet.operatorToken });
    const tenantVerify = await client.expect('verifying the tenant ledger', 200, 'GET', '/v1/audit/verify', { token: tenant.adminToken });
    const expected = (approvals: number) => ['BREAK_GLASS_REQUESTED', ...Array.from({ length: approvals }, () => 'BREAK_GLASS_APPROVED'), 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_REVOKED'];
    for (const report of [single, double]) {
      const v = report.variant;
      const want = expected(report.approvers.length);
      invariants.push(invariant(`${v}: the grant reads the tenant's telemetry, and only its`, report.grant_read.status === 200 && report.grant_read.rows > 0 && report.grant_read.own_rows === report.grant_read.rows, `${report.grant_read.status}, ${report.grant_read.own_rows} of ${report.grant_read.rows} rows of the tenant's own tests`));
      invariants.push(invariant(`${v}: after the tenant revokes, the next read is refused`, report.read_after_revoke.status === 401, `${report.read_after_revoke.status} ${report.read_after_revoke.code}`));
      invariants.push(invariant(`${v}: the provider ledger shows every step in order`, JSON.stringify(report.provider_ledger) === JSON.stringify(want), report.provider_ledger.join(' → ')));
      invariants.push(invariant(`${v}: the tenant ledger shows every step in order`, JSON.stringify(report.tenant_ledger) === JSON.stringify(want), report.tenant_ledger.join(' → ')));
      invariants.push(invariant(`${v}: the other tenant's ledger shows none of it`, report.other_tenant_ledger.length === 0, `${report.other_tenant_ledger.length} entries`));
    }
    invariants.push(invariant('two approvers: one approval leaves the request pending', double.state_after_first_approval === 'pending', double.state_after_first_approval));
    invariants.push(invariant('two approvers: the same person cannot approve twice', double.repeat_approval !== null && !double.repeat_approval.startsWith('2'), double.repeat_approval ?? 'not tried'));
    invariants.push(invariant('the provider ledger verifies', providerVerify.ok === true, `size ${String(providerVerify.size)}`));
    invariants.push(invariant(`${slug}'s ledger verifies`, tenantVerify.ok === true, `size ${String(tenantVerify.size)}`));

    const run = { scenario: 'break-glass-drill', seed: options.seed, target: { url: client.target.url, kind: connection.kind }, handover: fleet.handover, startedAt, events: log.events };
    return scenarioResult(run, {
      table: {
        title: `break-glass-drill on ${slug} (${tenant.plan.isolationModel}); ${other.plan.slug} must see none of it`,
        columns: ['variant', 'approvers', 'grant read', 'after revoke', 'provider ledger', 'tenant ledger', 'other tenant'],
        rows: [single, double].map((report) => [report.variant, report.approvers.length, `${report.grant_read.status} (${report.grant_read.rows} rows)`, `${report.read_after_revoke.status} ${report.read_after_revoke.code}`, report.provider_ledger.length, report.tenant_ledger.length, report.other_tenant_ledger.length]),
      },
      notes: [
        `Ledger events (both sides): ${single.tenant_ledger.map((event) => event.replace('BREAK_GLASS_', '')).join(' → ')}; two approvers: ${double.tenant_ledger.map((event) => event.replace('BREAK_GLASS_', '')).join(' → ')}.`,
        `Approvals came from people signed in through ${slug}'s IdP${fleet.handover ? ', configured by the tenant after handover' : ''}; the operator asked, activated and read.`,
      ],
      invariants,
      details: { drills: [single, double], provider_ledger_verify: providerVerify, tenant_ledger_verify: tenantVerify },
    });
  } finally {
    await oncall.remove();
    await fleet.close();
  }
}
