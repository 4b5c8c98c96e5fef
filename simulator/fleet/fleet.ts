import type { Connection } from '../connection/connect';
import type { RunLog } from '../run-log';
import { handoverAvailable } from './handover';
import type { FleetPlan, PlannedTenant } from './plan';
import { setUpTenant, type FleetTenant, type TenantOptions } from './tenant-setup';

export interface Fleet {
  operatorToken: string;
  tenants: FleetTenant[];
  handover: boolean;
  /** Closes the IdPs; on a remote control plane also deletes the run's tenants unless kept. */
  close(): Promise<void>;
}

export interface FleetOptions {
  /** Per tenant: fairness and quotas the operator sets at creation. */
  tenantOptions?: (tenant: PlannedTenant, index: number) => TenantOptions;
  /** Keep the tenants on a remote control plane after the run (an embedded one is removed whole). */
  keepTenants?: boolean;
}

/**
 * Sets up a planned fleet through the public API: the operator signs in (password + TOTP), then
 * each tenant is set up in plan order (one after another, so a seed gives one order of events).
 */
export async function buildFleet(connection: Connection, plan: FleetPlan, log: RunLog, options: FleetOptions = {}): Promise<Fleet> {
  const { client } = connection;
  const operatorToken = await connection.operatorToken();
  log.event(`operator ${connection.operator.username} signed in with password + TOTP`);
  const handover = await handoverAvailable(client);
  const tenants: FleetTenant[] = [];
  const close = async () => {
    await Promise.all(tenants.map((tenant) => tenant.idp.close()));
    if (connection.kind === 'remote' && options.keepTenants !== true) {
      for (const tenant of tenants) await client.call('DELETE', `/provider/v1/tenants/${tenant.plan.slug}`, { token: operatorToken });
    }
  };
  try {
    for (const [index, planned] of plan.tenants.entries()) {
      log.step(`setting up ${planned.slug} (${planned.isolationModel}): ${planned.people.length} people, ${planned.agents.length} agents, ${planned.tests.length} tests`);
      tenants.push(await setUpTenant({ client, operatorToken, log, handover }, planned, options.tenantOptions?.(planned, index)));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { operatorToken, tenants, handover, close };
}
