import type { ApiClient } from '../connection/api-client';
import { signInThroughIdp } from '../idp/browser';
import type { FleetTenant } from './tenant-setup';

/** What a tenant's own person reads back: the results stored in a window, or why they could not be counted. */
export type StoredResults = { counted: true; results: number } | { counted: false; reason: string };

/**
 * Counts a tenant's stored results the way its people see them: its first person (an admin, through
 * its groups) signs in through the tenant's IdP and reads the telemetry summary test by test.
 */
export async function storedResults(client: ApiClient, tenant: FleetTenant, window: { from: Date; to: Date }): Promise<StoredResults> {
  const first = tenant.plan.people[0];
  const person = first === undefined ? undefined : tenant.scim.directory.get(first.subject);
  if (person === undefined || !person.active) return { counted: false, reason: 'no active person to read with' };
  const session = await signInThroughIdp(client, tenant.plan.slug, person, tenant.idp.caPem);
  let results = 0;
  for (const testId of tenant.testIds) {
    const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString(), test_id: testId });
    const answer = await client.call('GET', `/v1/telemetry/summary?${query.toString()}`, { token: session.token });
    if (answer.status !== 200) return { counted: false, reason: `summary answered ${answer.status}` };
    if (answer.json.truncated === true) return { counted: false, reason: 'more rows than one summary reads' };
    for (const test of (answer.json.tests as { results: number }[] | undefined) ?? []) results += test.results;
  }
  return { counted: true, results };
}
