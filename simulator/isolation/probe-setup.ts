import { randomBytes } from 'node:crypto';
import type { ApiClient } from '../connection/api-client';
import type { Connection } from '../connection/connect';
import { enrollOperator } from '../connection/operator-session';
import type { FleetTenant } from '../fleet/tenant-setup';
import { signInThroughIdp } from '../idp/browser';
import type { RunLog } from '../run-log';
import type { CredentialKind } from './attack-plan';

/** An operator who attacks: its label (by role), session and how to remove it afterwards. */
export interface ProbeOperator {
  label: CredentialKind;
  token: string;
  remove(): Promise<void>;
}

/**
 * The operators who attack: the run's own (by the role it holds) and a `provider_operator` made for
 * the probe, enrolling its own authenticator at its first sign-in like any new operator. If this control plane will not let
 * the run make one (a run's operator without `operators:write`), the run's operator attacks alone.
 */
export async function probeOperators(connection: Connection, tag: string, log: RunLog): Promise<ProbeOperator[]> {
  const { client } = connection;
  const own = await connection.operatorToken();
  const session = await client.call('GET', '/provider/v1/auth/session', { token: own });
  const roles = ((session.json.operator as { roles?: string[] } | undefined)?.roles ?? []).slice().sort();
  const ownLabel: CredentialKind = roles.includes('provider_admin') ? 'operator:provider_admin' : 'operator:provider_operator';
  const operators: ProbeOperator[] = [{ label: ownLabel, token: own, remove: () => Promise.resolve() }];
  if (ownLabel !== 'operator:provider_admin') return operators;
  const username = `probe-${tag}`;
  const password = randomBytes(18).toString('base64url');
  const created = await client.call('POST', '/provider/v1/operators', { token: own, body: { username, roles: ['provider_operator'], password } });
  if (created.status !== 201) {
    log.step(`could not make a provider_operator for the probe (${created.status}); the run's operator attacks alone`);
    return operators;
  }
  const id = String((created.json.operator as { id?: string } | undefined)?.id);
  const remove = async () => {
    await client.call('DELETE', `/provider/v1/operators/${id}`, { token: own });
  };
  try {
    const { token } = await enrollOperator(client, username, password);
    operators.push({ label: 'operator:provider_operator', token, remove });
    log.event(`operator ${username} (provider_operator) made and signed in for the probe`);
  } catch (error) {
    await remove();
    log.step(`the probe's provider_operator could not sign in (${error instanceof Error ? error.message : String(error)}); the run's operator attacks alone`);
  }
  return operators;
}

/** A tenant's people signed in through its IdP, by the role their group maps to (the first of each role). */
export async function peopleSessions(client: ApiClient, tenant: FleetTenant): Promise<Map<'admin' | 'operator' | 'viewer', string>> {
  const sessions = new Map<'admin' | 'operator' | 'viewer', string>();
  for (const planned of tenant.plan.people) {
    const role = tenant.plan.groups.find((group) => planned.groups.includes(group.name))?.role;
    if (role === undefined || sessions.has(role)) continue;
    const person = tenant.scim.directory.get(planned.subject);
    if (person === undefined) continue;
    sessions.set(role, (await signInThroughIdp(client, tenant.plan.slug, person, tenant.idp.caPem)).token);
  }
  return sessions;
}

/** What the probe opens on a handed-over tenant: break-glass requests (one pending, one a grant) and a recovery. */
export interface TenantRequests {
  pending: string;
  active: string;
  /** The operator's grant (bhg_) for this tenant, approved by its admin person. */
  grant: string;
  recovery: string | null;
}

/**
 * Opens, as `requester`, one break-glass request the tenant leaves pending and one its admin person
 * approves and the requester activates (a grant: an attacker of its own), and a recovery request
 * (which waits 72 hours; the tenant cancels it when the probe ends).
 */
export async function openRequests(client: ApiClient, tenant: FleetTenant, requester: string, approver: string): Promise<TenantRequests> {
  const slug = tenant.plan.slug;
  const open = async (reason: string) => String((await client.expect(`opening a break-glass request for ${slug}`, 201, 'POST', '/provider/v1/break-glass', { token: requester, body: { tenant: slug, reason, scope: ['telemetry:read'], duration_minutes: 60 } })).id);
  const pending = await open('isolation probe: a request left pending');
  const active = await open('isolation probe: a grant that must read only its tenant');
  await client.expect(`${slug}'s admin approving the probe's grant`, 200, 'POST', `/v1/break-glass/${active}/approve`, { token: approver, body: { comment: 'isolation probe' } });
  const grant = String((await client.expect('activating the grant', 201, 'POST', `/provider/v1/break-glass/${active}/activate`, { token: requester })).grant_token);
  const recovery = await client.call('POST', `/provider/v1/tenants/${slug}/recoveries`, { token: requester, body: { reason: 'isolation probe: a recovery the tenant cancels' } });
  return { pending, active, grant, recovery: recovery.status === 201 ? String(recovery.json.id) : null };
}
