import { randomBytes } from 'node:crypto';
import type { ApiClient } from '../connection/api-client';
import type { Connection } from '../connection/connect';
import { buildFleet } from '../fleet/fleet';
import { planFleet, type PlannedRole } from '../fleet/plan';
import type { FleetTenant } from '../fleet/tenant-setup';
import { signInThroughIdp } from '../idp/browser';
import { SeededRandom } from '../random';
import type { RunLog } from '../run-log';
import { invariant, scenarioResult, type Invariant, type ScenarioResult } from './result';

export interface ScimSyncOptions {
  seed: number;
  tenants: number;
  agentsPerTenant: number;
  keepTenants?: boolean;
}

export const scimSyncDefaults = { tenants: 2, agentsPerTenant: 1 };

/** One directory change the IdP made and what the control plane showed for it. */
export interface ScimChange {
  tenant: string;
  change: 'add' | 'promote' | 'demote' | 'rename' | 'remove-from-groups' | 'deactivate';
  person: string;
  /** What the person's existing session should show next (roles, or 'ended'). */
  expected: string;
  observed: string;
}

interface Session {
  subject: string;
  token: string;
}

const sortedRoles = (roles: string[]) => (roles.length === 0 ? 'none' : [...roles].sort().join('+'));

/** The person's session, as its next request sees it: their roles, or 'ended' when refused with 401. */
async function whatSessionSees(client: ApiClient, session: Session): Promise<string> {
  const me = await client.call('GET', '/v1/me', { token: session.token });
  if (me.status === 401) return 'ended';
  if (me.status !== 200) return `status ${me.status}`;
  const user = me.json.user as { roles?: string[]; user_name?: string } | null;
  return sortedRoles(user?.roles ?? []);
}

async function userNameSeen(client: ApiClient, session: Session): Promise<string | null> {
  const me = await client.call('GET', '/v1/me', { token: session.token });
  return (me.json.user as { user_name?: string } | null)?.user_name ?? null;
}

/**
 * One tenant's IdP changes its directory, a change at a time in an order the seed decides: a new
 * person joins, a viewer is promoted, an operator demoted, someone renamed, someone taken out of
 * every group, someone deactivated. After each change the person's open session (from a real
 * sign-in) makes its next request, which must show the new roles, or be refused once deactivated.
 */
async function syncTenant(client: ApiClient, tenant: FleetTenant, random: SeededRandom, log: RunLog): Promise<ScimChange[]> {
  const slug = tenant.plan.slug;
  const groupOf = (role: PlannedRole) => tenant.plan.groups.find((group) => group.role === role)?.name ?? '';
  const sessions = new Map<string, Session>();
  const signIn = async (subject: string) => {
    const person = tenant.scim.directory.get(subject);
    if (person === undefined) throw new Error(`${subject} is not in ${slug}'s IdP`);
    const session = await signInThroughIdp(client, slug, person, tenant.idp.caPem);
    sessions.set(subject, { subject, token: session.token });
    log.event(`${slug} ${subject} signed in as ${sortedRoles(session.user.roles)}`);
  };
  for (const person of tenant.scim.directory.list()) await signIn(person.subject);

  const changes: ScimChange[] = [];
  const record = async (change: ScimChange['change'], subject: string, expected: string) => {
    const session = sessions.get(subject);
    const observed = session === undefined ? 'no session' : await whatSessionSees(client, session);
    changes.push({ tenant: slug, change, person: subject, expected, observed });
    log.event(`${slug} ${change} ${subject}: expected ${expected}, session sees ${observed}`);
  };
  const withRole = (role: PlannedRole) => tenant.scim.directory.list().filter((person) => person.active && person.groups.includes(groupOf(role)));

  const kinds = random.shuffle(['promote', 'demote', 'rename', 'remove-from-groups'] as const);
  // A newcomer first (so there is someone to promote), deactivation last (it ends a session for good).
  const added = `${slug}-person-${tenant.scim.directory.list().length + 1}`;
  await tenant.scim.addPerson({ subject: added, userName: `newcomer.${random.int(100, 999)}@${slug}.example`, displayName: 'New Comer', password: randomBytes(12).toString('base64url'), groups: [groupOf('viewer')], active: true });
  await signIn(added);
  await record('add', added, 'viewer');

  for (const kind of kinds) {
    if (kind === 'promote') {
      const person = random.pick(withRole('viewer'));
      await tenant.scim.changePerson(person.subject, { groups: [groupOf('operator')] });
      await record('promote', person.subject, 'operator');
    } else if (kind === 'demote') {
      const candidates = withRole('operator');
      if (candidates.length === 0) continue;
      const person = random.pick(candidates);
      await tenant.scim.changePerson(person.subject, { groups: [groupOf('viewer')] });
      await record('demote', person.subject, 'viewer');
    } else if (kind === 'rename') {
      const person = random.pick(tenant.scim.directory.list().filter((candidate) => candidate.active));
      const userName = `renamed.${random.int(100, 999)}.${person.userName}`;
      await tenant.scim.changePerson(person.subject, { userName, displayName: `${person.displayName} (renamed)` });
      const session = sessions.get(person.subject);
      const seen = session === undefined ? null : await userNameSeen(client, session);
      changes.push({ tenant: slug, change: 'rename', person: person.subject, expected: userName, observed: seen ?? 'no session' });
      log.event(`${slug} rename ${person.subject}: session sees the new user name: ${String(seen === userName)}`);
    } else {
      const person = random.pick(withRole('viewer'));
      await tenant.scim.changePerson(person.subject, { groups: [] });
      await record('remove-from-groups', person.subject, 'none');
    }
  }
  const leaving = random.pick(tenant.scim.directory.list().filter((person) => person.active && person.subject !== tenant.plan.people[0]?.subject));
  await tenant.scim.deactivate(leaving.subject);
  await record('deactivate', leaving.subject, 'ended');
  return changes;
}

/** The tenant's active SCIM users, as its IdP connector lists them back. */
async function activeScimUsers(client: ApiClient, tenant: FleetTenant): Promise<Set<string>> {
  const answer = await client.expect(`listing ${tenant.plan.slug}'s SCIM users`, 200, 'GET', '/scim/v2/Users?count=1000', { token: tenant.scimToken });
  const users = (answer.Resources as { externalId?: string; active?: boolean }[] | undefined) ?? [];
  return new Set(users.filter((user) => user.active !== false).map((user) => user.externalId ?? ''));
}

/** Every tenant's IdP changes its directory over SCIM; the people's sessions follow at their next request. */
export async function runScimSync(connection: Connection, options: ScimSyncOptions, log: RunLog): Promise<ScenarioResult> {
  const startedAt = new Date();
  const plan = planFleet(options.seed, { tenants: options.tenants, agentsPerTenant: options.agentsPerTenant, peoplePerTenant: 5, testsPerTenant: 1 });
  const fleet = await buildFleet(connection, plan, log, { keepTenants: options.keepTenants });
  try {
    const random = new SeededRandom(options.seed).stream('scim-sync');
    const invariants: Invariant[] = [];
    const rows: (string | number | null)[][] = [];
    const allChanges: ScimChange[] = [];
    for (const tenant of fleet.tenants) {
      log.step(`${tenant.plan.slug}: the IdP changes its directory`);
      const changes = await syncTenant(connection.client, tenant, random.stream(tenant.plan.slug), log);
      allChanges.push(...changes);
      for (const change of changes) {
        invariants.push(invariant(`${tenant.plan.slug}: ${change.change} ${change.person} → ${change.expected}`, change.observed === change.expected, `the session's next request saw ${change.observed}`));
      }
      const listed = await activeScimUsers(connection.client, tenant);
      const active = new Set(tenant.scim.directory.list().filter((person) => person.active).map((person) => person.subject));
      const same = listed.size === active.size && [...active].every((subject) => listed.has(subject));
      invariants.push(invariant(`${tenant.plan.slug}: the control plane's active users are the IdP's`, same, `${listed.size} active over SCIM, ${active.size} in the IdP`));
      const roleChanges = changes.filter((change) => change.change !== 'rename' && change.change !== 'deactivate');
      const deactivations = changes.filter((change) => change.change === 'deactivate');
      rows.push([
        tenant.plan.slug,
        tenant.plan.isolationModel,
        tenant.scim.directory.list().length,
        tenant.scim.events.length,
        `${roleChanges.filter((change) => change.observed === change.expected).length}/${roleChanges.length}`,
        `${deactivations.filter((change) => change.observed === 'ended').length}/${deactivations.length}`,
        same ? 'yes' : 'no',
      ]);
    }
    const run = { scenario: 'scim-sync', seed: options.seed, target: { url: connection.client.target.url, kind: connection.kind }, handover: fleet.handover, startedAt, events: log.events };
    return scenarioResult(run, {
      table: { title: `scim-sync: ${fleet.tenants.length} tenants' IdPs change their directories over SCIM`, columns: ['tenant', 'model', 'people', 'SCIM requests', 'role changes seen', 'sessions ended', 'directories match'], rows },
      notes: ['Each change was checked with the person\'s open session (from a real OIDC sign-in) on its very next request.'],
      invariants,
      details: { changes: allChanges, scim_requests: fleet.tenants.flatMap((tenant) => tenant.scim.events.map((event) => ({ tenant: tenant.plan.slug, ...event }))) },
    });
  } finally {
    await fleet.close();
  }
}
