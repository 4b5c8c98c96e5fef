import type { ApiClient } from '../connection/api-client';
import type { FleetTenant } from '../fleet/tenant-setup';
import type { Marker } from './classify';
import type { RouteSpec } from './route-catalog';
import type { IdKind } from './slots';

/** A tenant's identifiers by kind (in the order picks index them), the cursors its lists gave it, and what marks its data. */
export interface TenantIds {
  slug: string;
  values: Partial<Record<Exclude<IdKind, 'cursor'>, string[]>>;
  /** Per route (`GET /v1/audit`): a next_cursor that list gave this tenant. */
  cursors: Record<string, string>;
  /** Everything that would show this tenant's data in another's answer. */
  markers: Marker[];
}

/** What the probe made for a tenant before harvesting (see isolation-probe.ts). */
export interface ProbeObjects {
  /** Break-glass requests: one left pending, one approved and active (the tenant's grant). */
  breakGlass: string[];
  /** A recovery request an operator opened (waiting). */
  recoveries: string[];
  /** A person of the tenant with every permission (its admin), to read its own lists for cursors. */
  adminSession: string;
}

const SCIM_LIST = '?count=1000';

/**
 * Reads what a tenant holds, through the API with the tenant's own credentials (its admin token,
 * its SCIM token, its admin person's session): every identifier another tenant might try, and a
 * cursor from each of its paged lists.
 */
export async function harvestTenantIds(client: ApiClient, tenant: FleetTenant, made: ProbeObjects, routes: readonly RouteSpec[]): Promise<TenantIds> {
  const slug = tenant.plan.slug;
  const admin = { token: tenant.adminToken };
  const scim = { token: tenant.scimToken };
  const items = (json: Record<string, unknown>) => (json.items as { id: string }[] | undefined) ?? [];
  const pools = items(await client.expect(`listing ${slug}'s agent pools`, 200, 'GET', '/v1/agent-pools', admin)).map((pool) => pool.id);
  const scimTokens = items(await client.expect(`listing ${slug}'s SCIM tokens`, 200, 'GET', '/v1/directory/scim-tokens', admin)).map((token) => token.id);
  const users = ((await client.expect(`listing ${slug}'s SCIM users`, 200, 'GET', `/scim/v2/Users${SCIM_LIST}`, scim)).Resources ?? []) as { id: string; userName: string; externalId?: string }[];
  const groups = ((await client.expect(`listing ${slug}'s SCIM groups`, 200, 'GET', `/scim/v2/Groups${SCIM_LIST}`, scim)).Resources ?? []) as { id: string; displayName: string }[];

  const cursors: Record<string, string> = {};
  for (const route of routes) {
    if (route.method !== 'GET' || route.plane !== 'tenant' || !route.params.some((param) => param.name === 'cursor' && param.in === 'query')) continue;
    if (route.params.some((param) => param.in === 'path')) continue;
    const limit = route.params.some((param) => param.name === 'limit') ? '?limit=1' : '';
    const page = await client.call('GET', `${route.path}${limit}`, { token: made.adminSession });
    if (page.status === 200 && typeof page.json.next_cursor === 'string') cursors[route.key] = page.json.next_cursor;
  }

  const values: TenantIds['values'] = {
    tenant: [slug, tenant.id],
    test: tenant.testIds,
    agent: tenant.agents.map((agent) => agent.id),
    pool: pools,
    'scim-token': scimTokens,
    recovery: made.recoveries,
    'break-glass': made.breakGlass,
    'scim-user': users.map((user) => user.id),
    'scim-group': groups.map((group) => group.id),
    'user-filter': users.map((user) => `userName eq "${user.userName}"`),
    'group-filter': groups.map((group) => `displayName eq "${group.displayName}"`),
  };
  const marker = (what: string) => (value: string) => ({ value, what });
  const markers: Marker[] = [
    { value: slug, what: 'slug' },
    { value: tenant.id, what: 'tenant id' },
    ...tenant.testIds.map(marker('test id')),
    ...tenant.agents.flatMap((agent) => [marker('agent id')(agent.id), marker('agent name')(agent.name)]),
    ...pools.map(marker('agent pool id')),
    ...scimTokens.map(marker('SCIM token id')),
    ...made.recoveries.map(marker('recovery request id')),
    ...made.breakGlass.map(marker('break-glass request id')),
    ...users.flatMap((user) => [marker('user id')(user.id), marker('user name')(user.userName), ...(user.externalId === undefined ? [] : [marker('person (IdP subject)')(user.externalId)])]),
    ...groups.flatMap((group) => [marker('group id')(group.id), marker('group name')(group.displayName)]),
  ];
  return { slug, values, cursors, markers };
}

/** A victim's identifier for a planned attempt: by kind and index, or the cursor its list gave it for that route. */
export function idFor(ids: TenantIds, kind: IdKind, pick: number, route: string): string | undefined {
  if (kind === 'cursor') return ids.cursors[route];
  return ids.values[kind]?.[pick];
}
