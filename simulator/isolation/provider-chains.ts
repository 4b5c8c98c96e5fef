import type { ApiClient, Method } from '../connection/api-client';
import type { FleetTenant } from '../fleet/tenant-setup';
import { signInThroughIdp } from '../idp/browser';
import type { RouteSpec } from './route-catalog';
import { send } from './run-attempts';

/** One step of a chain: a provider action (or a read after it) and whether the control plane let it through. */
export interface ChainStep {
  action: string;
  /** `POST /provider/v1/tenants/{tenant}/admin-tokens`: the route as the document names it. */
  route: string;
  /** Who did it: an operator, or a credential the provider made (`provider-made:<kind>`). */
  credential: string;
  status: number;
  code: string;
  /** What the promise says: `allowed` (the provider may), `refused` (it must not get through). */
  expected: 'allowed' | 'refused';
  /** A step that must be refused and was not: a leak. */
  leak: boolean;
}

export interface ChainReport {
  name: string;
  tenant: string;
  story: string;
  steps: ChainStep[];
}

/** The routes that read a tenant's data: every route a break-glass grant may read (`tenant-or-grant`), and insights. */
export function dataRoutes(routes: readonly RouteSpec[]): RouteSpec[] {
  return routes.filter((route) => route.credential === 'tenant-or-grant' || route.path.startsWith('/v1/insights'));
}

const codeOf = (body: string): string => {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : '';
  } catch {
    return '';
  }
};

/** Records chain steps as they happen. */
class Chain {
  readonly steps: ChainStep[] = [];

  constructor(private readonly client: ApiClient) {}

  async step(action: string, expected: ChainStep['expected'], credential: string, token: string, method: Method, path: string, template: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const answer = await send(this.client, { method, path, ...(body === undefined ? {} : { body }) }, token);
    const success = answer.status >= 200 && answer.status < 300;
    this.steps.push({ action, route: `${method} ${template}`, credential, status: answer.status, code: codeOf(answer.body), expected, leak: expected === 'refused' && success });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      // Not JSON: nothing to read from it.
    }
    return { status: answer.status, json };
  }

  /** Every data route with `token`: each must be refused. With `selector`, also naming the tenant (`?tenant=`) as a grant would. */
  async readEverything(reads: readonly RouteSpec[], credential: string, token: string, tenant: FleetTenant, selector: boolean): Promise<void> {
    for (const route of reads) {
      const testId = tenant.testIds[0];
      const query = new URLSearchParams(route.params.some((param) => param.name === 'test_id') && testId !== undefined ? { test_id: testId } : {});
      const paths = [query];
      if (selector) paths.push(new URLSearchParams([...query, ['tenant', tenant.plan.slug]]));
      for (const search of paths) {
        const text = search.toString();
        await this.step(`read ${route.path}${selector && search.has('tenant') ? ' naming the tenant' : ''}`, 'refused', credential, token, route.method, `${route.path}${text === '' ? '' : `?${text}`}`, route.path, route.body === null ? undefined : {});
      }
    }
  }
}

export interface ChainContext {
  client: ApiClient;
  routes: readonly RouteSpec[];
  /** Operator label → session token (bho_). */
  operators: ReadonlyMap<string, string>;
  /** The operator who opened the probe's break-glass requests (only it may activate them). */
  requester: { label: string; token: string };
}

/**
 * Before handover, the provider holds every credential of the tenant: the onboarding token, the
 * SCIM token it minted, agents it enrolled, and people who sign in through the IdP it configured (in
 * this chain, an IdP the provider runs). None of it reads the tenant's data, mints a tenant-owned
 * token, confirms the identity settings as the tenant's, or approves the provider's own break-glass
 * request. (Handing the tenant over with the onboarding token is the customer's act and is not
 * tried: whoever holds that token before handover can; docs/trust-model.md says to load people and
 * data after it.)
 */
export async function heldTenantChain(context: ChainContext, held: FleetTenant): Promise<ChainReport> {
  const { client } = context;
  const chain = new Chain(client);
  const reads = dataRoutes(context.routes);
  const onboarding = held.adminToken;
  await chain.readEverything(reads, 'provider-made:onboarding-token', onboarding, held, false);
  await chain.readEverything(reads, 'provider-made:scim', held.scimToken, held, false);
  const agent = held.agents[0];
  if (agent !== undefined) await chain.readEverything(reads, 'provider-made:agent', agent.token, held, false);
  const sessions: { subject: string; token: string }[] = [];
  for (const planned of held.plan.people) {
    const person = held.scim.directory.get(planned.subject);
    if (person === undefined) continue;
    const session = await signInThroughIdp(client, held.plan.slug, person, held.idp.caPem);
    sessions.push({ subject: planned.subject, token: session.token });
    await chain.readEverything(reads, 'provider-made:person-session', session.token, held, false);
  }
  await chain.step('mint a tenant-owned admin token with the onboarding token', 'refused', 'provider-made:onboarding-token', onboarding, 'POST', '/v1/admin-tokens', '/v1/admin-tokens', { expires_in_seconds: 3600 });
  await chain.step("confirm the provider's IdP settings as the tenant's", 'refused', 'provider-made:onboarding-token', onboarding, 'POST', '/v1/identity/oidc/confirm', '/v1/identity/oidc/confirm', {});
  await chain.step("set the tenant's IdP in the tenant plane", 'refused', 'provider-made:onboarding-token', onboarding, 'PUT', '/v1/identity/oidc', '/v1/identity/oidc', { issuer: held.idp.issuer, client_id: held.idp.clientId, client_secret: held.idp.clientSecret, ca_pem: held.idp.caPem });
  const opened = await chain.step('open a break-glass request', 'allowed', context.requester.label, context.requester.token, 'POST', '/provider/v1/break-glass', '/provider/v1/break-glass', { tenant: held.plan.slug, reason: 'isolation probe: a held tenant', scope: ['telemetry:read'], duration_minutes: 15 });
  const requestId = typeof opened.json.id === 'string' ? opened.json.id : null;
  if (requestId !== null) {
    for (const session of sessions) {
      await chain.step('approve it as a person of the provider-run IdP', 'refused', 'provider-made:person-session', session.token, 'POST', `/v1/break-glass/${requestId}/approve`, '/v1/break-glass/{id}/approve', {});
    }
    await chain.step('approve it with the onboarding token', 'refused', 'provider-made:onboarding-token', onboarding, 'POST', `/v1/break-glass/${requestId}/approve`, '/v1/break-glass/{id}/approve', {});
    await chain.step('activate it without an approval', 'refused', context.requester.label, context.requester.token, 'POST', `/provider/v1/break-glass/${requestId}/activate`, '/provider/v1/break-glass/{id}/activate', {});
  }
  return { name: 'provider-held tenant (before handover)', tenant: held.plan.slug, story: 'every credential the provider holds before handover tries every data read, tenant ownership and an approval', steps: chain.steps };
}

/**
 * After handover, per tenant: the provider's own actions (mint a tenant credential, change the
 * IdP, complete a recovery before its wait, activate an unapproved break-glass request, approve it
 * in the tenant plane, mint an agent bootstrap token, suspend and resume the tenant), each followed
 * by every operator trying every data read, with and without naming the tenant. None may read.
 */
export async function afterHandoverChain(context: ChainContext, tenant: FleetTenant, made: { pendingBreakGlass: string | null; recovery: string | null; pool: string | null }): Promise<ChainReport> {
  const chain = new Chain(context.client);
  const reads = dataRoutes(context.routes);
  const slug = tenant.plan.slug;
  const { label, token } = context.requester;
  const readAll = async () => {
    for (const [operator, session] of context.operators) await chain.readEverything(reads, operator, session, tenant, true);
  };
  await chain.step('mint an admin token for the tenant', 'refused', label, token, 'POST', `/provider/v1/tenants/${slug}/admin-tokens`, '/provider/v1/tenants/{tenant}/admin-tokens', { expires_in_seconds: 3600 });
  await chain.step("point the tenant's IdP at one the provider runs", 'refused', label, token, 'PUT', `/provider/v1/tenants/${slug}/identity/oidc`, '/provider/v1/tenants/{tenant}/identity/oidc', { issuer: 'https://127.0.0.1:9/operator-idp', client_id: 'bulkhead', client_secret: 'operator-chosen' });
  if (made.recovery !== null) {
    await chain.step('complete a recovery before its wait', 'refused', label, token, 'POST', `/provider/v1/recoveries/${made.recovery}/complete`, '/provider/v1/recoveries/{id}/complete', {});
  }
  if (made.pendingBreakGlass !== null) {
    await chain.step('activate a break-glass request nobody approved', 'refused', label, token, 'POST', `/provider/v1/break-glass/${made.pendingBreakGlass}/activate`, '/provider/v1/break-glass/{id}/activate', {});
    await chain.step('approve its own request in the tenant plane', 'refused', label, token, 'POST', `/v1/break-glass/${made.pendingBreakGlass}/approve`, '/v1/break-glass/{id}/approve', {});
  }
  if (made.pool !== null) {
    await chain.step("mint a bootstrap token for the tenant's agent pool", 'refused', label, token, 'POST', `/v1/agent-pools/${made.pool}/tokens`, '/v1/agent-pools/{id}/tokens');
  }
  await readAll();
  await chain.step('suspend the tenant', 'allowed', label, token, 'POST', `/provider/v1/tenants/${slug}/suspend`, '/provider/v1/tenants/{tenant}/suspend', { reason: 'isolation probe: provider actions' });
  await readAll();
  await chain.step('resume the tenant', 'allowed', label, token, 'POST', `/provider/v1/tenants/${slug}/resume`, '/provider/v1/tenants/{tenant}/resume', { reason: 'isolation probe: provider actions' });
  await readAll();
  return { name: 'provider actions after handover', tenant: slug, story: 'the provider does what it may and tries what it may not, and after each step every operator tries every data read', steps: chain.steps };
}
