import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { FairnessLimits } from '../../contracts/fairness';
import type { Quotas } from '../../contracts/tenants';
import type { ApiClient } from '../connection/api-client';
import { SimulatorError } from '../errors';
import { signInThroughIdp } from '../idp/browser';
import { IdpDirectory } from '../idp/directory';
import { startIdp, type SimulatedIdp } from '../idp/oidc-idp';
import { ScimConnector } from '../idp/scim-connector';
import type { RunLog } from '../run-log';
import { takeOwnership } from './handover';
import type { PlannedTenant } from './plan';

/** A tenant as the simulator set it up: its credentials by kind, its IdP and SCIM connector, agents and tests. */
export interface FleetTenant {
  plan: PlannedTenant;
  id: string;
  /** The tenant's admin token (bht_): tenant-owned once handed over. */
  adminToken: string;
  /** The operator-minted onboarding token (spent by the handover, when there is one). */
  onboardingToken: string;
  handedOver: boolean;
  scimToken: string;
  idp: SimulatedIdp;
  scim: ScimConnector;
  agents: { name: string; id: string; token: string }[];
  testIds: string[];
}

export interface SetupContext {
  client: ApiClient;
  operatorToken: string;
  log: RunLog;
  /** Whether the control plane has the tenant handover (see handover.ts). */
  handover: boolean;
}

export interface TenantOptions {
  fairness?: Partial<FairnessLimits>;
  quotas?: Partial<Quotas>;
}

const ENROLL_CONCURRENCY = 8;

/**
 * One tenant from nothing, in the order an MSP and its customer do it:
 * operator creates the tenant (and its fairness) → onboarding token → [handover → the tenant's
 * own IdP configuration] → SCIM token, people and groups pushed by the IdP, groups mapped to
 * roles → agent pool, bootstrap token, agents enrolled → tests defined → a person signs in
 * through the IdP and holds the role the mapping gives.
 */
export async function setUpTenant(context: SetupContext, plan: PlannedTenant, options: TenantOptions = {}): Promise<FleetTenant> {
  const { client, operatorToken, log } = context;
  const operator = { token: operatorToken };
  const slug = plan.slug;

  const quotas = { max_agents: Math.max(100, plan.agents.length), max_users: Math.max(50, plan.people.length * 2), max_tests: Math.max(200, plan.tests.length), ...options.quotas };
  const created = await client.call('POST', '/provider/v1/tenants', { ...operator, body: { slug, name: plan.name, isolation_model: plan.isolationModel, quotas } });
  if (created.status === 409 && (created.json.error as { code?: string } | undefined)?.code === 'slug_taken') {
    throw new SimulatorError(`tenant ${slug} already exists on this control plane (a run with the same --seed?): pass another --seed`);
  }
  if (created.status !== 201) {
    const error = created.json.error as { code?: string; message?: string } | undefined;
    throw new SimulatorError(`creating tenant ${slug}: ${created.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim());
  }
  const id = String(created.json.id);
  log.event(`tenant ${slug} created (${plan.isolationModel})`);
  if (options.fairness !== undefined) {
    const current = await client.expect(`reading ${slug}'s fairness`, 200, 'GET', `/provider/v1/tenants/${slug}/fairness`, operator);
    const limits = { ingest_rate_per_sec: current.ingest_rate_per_sec, query_budget: current.query_budget, ...options.fairness };
    await client.expect(`setting ${slug}'s fairness`, 200, 'PUT', `/provider/v1/tenants/${slug}/fairness`, { ...operator, body: limits });
    log.event(`tenant ${slug} fairness ${String(limits.ingest_rate_per_sec)} units/s`);
  }
  const onboarding = await client.expect(`minting ${slug}'s onboarding token`, 201, 'POST', `/provider/v1/tenants/${slug}/admin-tokens`, { ...operator, body: { expires_in_seconds: 24 * 3600, name: 'simulator onboarding' } });
  log.event(`tenant ${slug} onboarding token`);

  const directory = new IdpDirectory();
  for (const person of plan.people) directory.add({ ...person, password: randomBytes(12).toString('base64url'), active: true });
  const idp = await startIdp({ tenantSlug: slug, redirectUri: `${client.target.url}/v1/auth/oidc/callback`, directory });
  try {
    const ownership = await takeOwnership(client, {
      slug,
      operatorToken,
      onboardingToken: String(onboarding.token),
      oidc: { issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, ca_pem: idp.caPem },
      handover: context.handover,
    });
    log.event(ownership.handedOver ? `tenant ${slug} handed over; IdP set by the tenant` : `tenant ${slug} IdP set by the operator`);
    const admin = { token: ownership.adminToken };

    const scimToken = String((await client.expect(`minting ${slug}'s SCIM token`, 201, 'POST', '/v1/directory/scim-tokens', { ...admin, body: { name: `${slug} IdP provisioning` } })).token);
    const scim = new ScimConnector(client, scimToken, directory);
    await scim.pushAll();
    log.event(`tenant ${slug} SCIM pushed ${plan.people.length} people, ${directory.groups().size} groups`);
    await client.expect(`mapping ${slug}'s groups to roles`, 200, 'PUT', '/v1/directory/role-mappings', { ...admin, body: { mappings: plan.groups.map((group) => ({ group: group.name, role: group.role })) } });
    log.event(`tenant ${slug} role mappings ${plan.groups.map((group) => `${group.name}=${group.role}`).join(' ')}`);

    const pool = await client.expect(`creating ${slug}'s agent pool`, 201, 'POST', '/v1/agent-pools', { ...admin, body: { name: 'simulated probes', ttl_seconds: 3600 } });
    const bootstrap = String((await client.expect(`minting ${slug}'s bootstrap token`, 201, 'POST', `/v1/agent-pools/${String(pool.id)}/tokens`, admin)).token);
    const limit = pLimit(ENROLL_CONCURRENCY);
    const agents = await Promise.all(
      plan.agents.map((name) =>
        limit(async () => {
          const enrolled = await client.expect(`enrolling ${name}`, 201, 'POST', '/agent/v1/enroll', { body: { bootstrap_token: bootstrap, name } });
          return { name, id: String(enrolled.agent_id), token: String(enrolled.agent_token) };
        }),
      ),
    );
    log.event(`tenant ${slug} enrolled ${agents.length} agents`);

    const testIds: string[] = [];
    for (const test of plan.tests) {
      testIds.push(String((await client.expect(`defining ${slug}'s test ${test.name}`, 201, 'POST', '/v1/tests', { ...admin, body: test })).id));
    }
    log.event(`tenant ${slug} defined ${testIds.length} tests`);

    const first = plan.people[0];
    if (first !== undefined) {
      const person = directory.get(first.subject);
      if (person === undefined) throw new Error('planned person missing from the directory');
      const session = await signInThroughIdp(client, slug, person, idp.caPem);
      const expected = plan.groups.find((group) => first.groups.includes(group.name))?.role;
      if (expected !== undefined && !session.user.roles.includes(expected)) {
        throw new SimulatorError(`${first.userName} signed in to ${slug} with roles [${session.user.roles.join(', ')}], not ${expected} as the group mapping says`);
      }
      log.event(`tenant ${slug} ${first.subject} signed in through the IdP as ${session.user.roles.join('+')}`);
    }
    return { plan, id, adminToken: ownership.adminToken, onboardingToken: String(onboarding.token), handedOver: ownership.handedOver, scimToken, idp, scim, agents, testIds };
  } catch (error) {
    await idp.close();
    throw error;
  }
}
